/* Article QA chat widget. Embed with:
 *   <script src="https://HOST/widget.js" data-document-id="ID" defer></script>
 * Optional: data-title, data-placeholder, data-theme="dark".
 * Everything lives in a Shadow DOM; nothing leaks into the host page's globals or styles. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var docId = script.getAttribute("data-document-id") || null;
  var title = script.getAttribute("data-title") || "Ask about this article";
  var placeholder = script.getAttribute("data-placeholder") || "Ask a question…";
  var theme = script.getAttribute("data-theme") || "light";
  var storeKey = "qa-widget:" + base + ":" + (docId || "*");

  var css = [
    ":host{--qa-accent:#0b57d0;--qa-bg:#fff;--qa-fg:#1f1f1f;--qa-muted:#555;--qa-bubble:#eef2fb;",
    "--qa-font:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;all:initial}",
    ":host([data-theme=dark]){--qa-bg:#1e1e1e;--qa-fg:#f1f1f1;--qa-muted:#c4c4c4;--qa-bubble:#2d3340;--qa-accent:#8ab4f8}",
    ".launch{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;",
    "background:var(--qa-accent);color:#fff;font:600 15px var(--qa-font);cursor:pointer;box-shadow:0 2px 8px #0004}",
    ":host([data-theme=dark]) .launch{color:#111}",
    ".panel{position:fixed;right:16px;bottom:72px;z-index:2147483000;width:min(380px,calc(100vw - 32px));",
    "height:min(520px,calc(100vh - 96px));display:flex;flex-direction:column;background:var(--qa-bg);color:var(--qa-fg);",
    "font:15px/1.45 var(--qa-font);border-radius:12px;box-shadow:0 4px 24px #0005;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;border-bottom:1px solid #8884}",
    "header h2{flex:1;margin:0;font-size:15px}",
    "header button{background:none;border:1px solid #8886;border-radius:6px;color:inherit;padding:4px 8px;cursor:pointer;font:inherit;font-size:13px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:90%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".me{align-self:flex-end;background:var(--qa-accent);color:#fff}",
    ":host([data-theme=dark]) .me{color:#111}",
    ".bot{align-self:flex-start;background:var(--qa-bubble)}",
    ".meta{font-size:13px;color:var(--qa-muted);margin-top:4px}",
    ".meta button{background:none;border:0;color:var(--qa-accent);text-decoration:underline;cursor:pointer;font:inherit;padding:0;margin-right:10px}",
    ".ctx{margin-top:6px;font-size:13px;color:var(--qa-muted)}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #8884}",
    "input{flex:1;font:inherit;padding:8px;border-radius:8px;border:1px solid #8888;background:var(--qa-bg);color:var(--qa-fg)}",
    "form button{font:inherit;border:0;border-radius:8px;padding:8px 14px;background:var(--qa-accent);color:#fff;cursor:pointer}",
    ":host([data-theme=dark]) form button{color:#111}",
    "button:focus-visible,input:focus-visible{outline:3px solid var(--qa-accent);outline-offset:2px}",
    ".typing{font-style:italic;color:var(--qa-muted)}",
    "mark{background:#fde68a;color:#111;border-radius:3px;padding:0 2px}",
  ].join("");

  var host = document.createElement("div");
  host.setAttribute("data-theme", theme);
  host.setAttribute("data-qa-widget", "");  // the hook for host-page theming: [data-qa-widget] { --qa-accent: ... }
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<style>' + css + '</style>' +
    '<button class="launch" type="button" aria-expanded="false" aria-controls="qa-panel">Ask</button>' +
    '<section class="panel" id="qa-panel" role="dialog" aria-label="" hidden>' +
    '<header><h2></h2><button type="button" class="reset">New chat</button>' +
    '<button type="button" class="close" aria-label="Close chat">✕</button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-relevant="additions"></div>' +
    '<form><label style="position:absolute;left:-9999px" for="qa-input">Your question</label>' +
    '<input id="qa-input" autocomplete="off" maxlength="2000"><button type="submit">Send</button></form></section>';
  var $ = function (sel) { return root.querySelector(sel); };
  var launch = $(".launch"), panel = $(".panel"), log = $(".log"), form = $("form"), input = $("input");
  $("h2").textContent = title;
  panel.setAttribute("aria-label", title);
  input.placeholder = placeholder;

  var state = load();
  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey)) || { conversationId: null, messages: [] }; }
    catch (e) { return { conversationId: null, messages: [] }; }
  }
  function save() { try { sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ } }

  function open(show) {
    panel.hidden = !show;
    launch.setAttribute("aria-expanded", String(show));
    if (show) input.focus(); else launch.focus();
  }
  launch.addEventListener("click", function () { open(panel.hidden); });
  $(".close").addEventListener("click", function () { open(false); });
  root.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden) open(false); });
  $(".reset").addEventListener("click", function () {
    state = { conversationId: null, messages: [] }; save(); log.textContent = ""; input.focus();
  });

  // Rendered with textContent only: article text and answers never become HTML.
  function bubble(kind, text) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }
  function render(m) {
    if (m.kind === "me") return bubble("me", m.text);
    var div = bubble("bot", m.text);
    if (!m.answer) return div;
    var h = m.answer.highlight;
    if (h && h[0] >= 0 && h[1] <= m.text.length && h[0] < h[1]) {
      // Built from text nodes and a <mark>: the answer never passes through an HTML parser.
      div.textContent = "";
      var mark = document.createElement("mark");
      mark.textContent = m.text.slice(h[0], h[1]);
      div.append(m.text.slice(0, h[0]), mark, m.text.slice(h[1]));
    }
    var meta = document.createElement("div");
    meta.className = "meta";
    var ctxBtn = document.createElement("button");
    ctxBtn.type = "button"; ctxBtn.textContent = "Show context"; ctxBtn.setAttribute("aria-expanded", "false");
    var ctx = document.createElement("div");
    ctx.className = "ctx"; ctx.hidden = true; ctx.textContent = m.answer.context;
    ctxBtn.addEventListener("click", function () {
      ctx.hidden = !ctx.hidden; ctxBtn.setAttribute("aria-expanded", String(!ctx.hidden));
      ctxBtn.textContent = ctx.hidden ? "Show context" : "Hide context";
    });
    meta.appendChild(ctxBtn);
    var target = document.querySelector('[data-qa-start="' + Number(m.answer.start) + '"]') ||
      findInPage(m.answer.text);
    if (target) {
      var jump = document.createElement("button");
      jump.type = "button"; jump.textContent = "Jump to it in the article";
      jump.addEventListener("click", function () {
        target.scrollIntoView({ behavior: "smooth", block: "center" });
        target.style.background = "#fff3a8";
      });
      meta.appendChild(jump);
    }
    div.appendChild(meta); div.appendChild(ctx);
    return div;
  }
  // On a host page without offsets, find the element whose text holds the sentence's opening words.
  function findInPage(text) {
    var probe = text.slice(0, 60);
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement && node.parentElement !== host && node.nodeValue.indexOf(probe) >= 0) {
        return node.parentElement;
      }
    }
    return null;
  }
  state.messages.forEach(render);

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    input.value = "";
    push({ kind: "me", text: q });
    var typing = bubble("bot typing", "Looking in the article…");
    fetch(base + "/ask", {
      method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, script.getAttribute("data-key") ? { Authorization: "Bearer " + script.getAttribute("data-key") } : {}),
      body: JSON.stringify({ question: q, document_id: docId, conversation_id: state.conversationId, top_k: 3 }),
    }).then(function (r) {
      if (r.status === 429) throw new Error("Too many questions right now — please wait a moment and try again.");
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (b) {
        throw new Error((b.error && b.error.message) || "The service answered with an error (" + r.status + ").");
      });
      return r.json();
    }).then(function (data) {
      typing.remove();
      state.conversationId = data.conversation_id;
      if (data.answer) push({ kind: "bot", text: data.answer.text, answer: data.answer });
      else push({ kind: "bot", text: "Sorry, I couldn't find that in this article. Try asking another way, with a name or a word from the story." });
    }).catch(function (err) {
      typing.remove();
      var msg = err instanceof TypeError ? "The question service can't be reached. Please try again later." : err.message;
      bubble("bot", msg);
    });
  });
  function push(m) { state.messages.push(m); save(); render(m); }

  document.body.appendChild(host);
})();
