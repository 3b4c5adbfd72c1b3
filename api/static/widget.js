/* Article QA chat widget. Embed with:
 *   <script src="https://HOST/widget.js" data-document-id="ID" defer></script>
 * Optional: data-title, data-placeholder, data-theme="dark", data-timeout (seconds, default 12).
 * Without data-document-id it searches every article and names each answer's source.
 * Everything lives in a Shadow DOM; nothing leaks into the host page's globals or styles. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  // Without a viewport meta tag a phone lays the page out 980 px wide: the chat is then a tiny panel.
  if (!document.querySelector('meta[name="viewport" i]')) {
    console.warn('Article QA widget: this page has no viewport meta tag, so on a phone the chat is a tiny panel ' +
      'instead of a full-screen sheet. Add <meta name="viewport" content="width=device-width, initial-scale=1"> ' +
      "to the page's <head>.");
  }
  var base = new URL(script.src, location.href).origin;
  var attr = function (name, fallback) { return script.getAttribute(name) || fallback; };
  var docId = attr("data-document-id", null);
  var title = attr("data-title", docId ? "Ask about this article" : "Ask about our articles");
  var placeholder = attr("data-placeholder", "Ask a question…");
  // The server gives up after 30 s; a reader gives up much sooner, so the widget does too.
  var timeoutMs = 1000 * (Number(attr("data-timeout", "")) || 12);
  var storeKey = "qa-widget:" + base + ":" + (docId || "*");
  var where = docId ? "this article" : "our articles";
  var phone = window.matchMedia("(max-width: 600px)");
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  var MARK = "#fde68a";

  var css = [
    ":host{--qa-accent:#0b57d0;--qa-bg:#fff;--qa-fg:#1f1f1f;--qa-muted:#555;--qa-bubble:#eef2fb;--qa-on-accent:#fff;",
    "--qa-font:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;all:initial}",
    ":host([data-theme=dark]){--qa-bg:#1e1e1e;--qa-fg:#f1f1f1;--qa-muted:#c4c4c4;--qa-bubble:#2d3340;--qa-accent:#8ab4f8;",
    "--qa-on-accent:#111}",
    "button{font:inherit;cursor:pointer}svg{width:22px;height:22px;flex:none}",
    ".launch{position:fixed;right:16px;bottom:16px;z-index:2147483000;display:flex;align-items:center;gap:8px;",
    "border:0;border-radius:28px;min-height:56px;min-width:56px;padding:0 18px 0 16px;background:var(--qa-accent);",
    "color:var(--qa-on-accent);font:600 15px var(--qa-font);box-shadow:0 2px 10px #0005}",
    ".launch[aria-expanded=true]{padding:0 16px}.launch[aria-expanded=true] .open-i,.launch[aria-expanded=false] .close-i,",
    ".launch[aria-expanded=true] span{display:none}",
    ".panel{position:fixed;right:16px;bottom:88px;z-index:2147483000;width:min(380px,calc(100vw - 32px));",
    "height:min(520px,calc(100vh - 104px));display:flex;flex-direction:column;background:var(--qa-bg);color:var(--qa-fg);",
    "font:15px/1.45 var(--qa-font);border-radius:12px;box-shadow:0 4px 24px #0005;overflow:hidden;box-sizing:border-box}",
    ".panel[hidden]{display:none}",
    // A phone gets a full-screen sheet that follows the visual viewport (the part the keyboard leaves).
    "@media (max-width:600px){.panel{inset:0;top:var(--qa-top,0);width:100%;height:var(--qa-height,100dvh);",
    "border-radius:0;padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) ",
    "env(safe-area-inset-left)}.launch[aria-expanded=true]{display:none}}",
    "header{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 14px;border-bottom:1px solid #8884}",
    "h2{flex:1;min-width:0;margin:0;font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    "header button{background:none;border:1px solid #8886;border-radius:6px;color:inherit;padding:6px 10px;font-size:13px}",
    "header .close{border:0;padding:6px;display:flex}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:90%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".me{align-self:flex-end;background:var(--qa-accent);color:var(--qa-on-accent)}",
    ".bot{align-self:flex-start;background:var(--qa-bubble)}",
    ".intro{white-space:normal}.intro p{margin:0 0 8px}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.lead{flex-basis:100%}",
    ".chips button{background:var(--qa-bg);color:var(--qa-accent);border:1px solid var(--qa-accent);border-radius:16px;",
    "padding:5px 12px;font-size:14px;text-align:left}",
    ".meta,.src,.fb{font-size:13px;color:var(--qa-muted);margin-top:6px;white-space:normal}",
    ".meta button{background:none;border:0;color:var(--qa-accent);text-decoration:underline;padding:0;margin-right:12px}",
    ".src a{color:var(--qa-accent)}",
    ".closest .lead{font-size:13px;color:var(--qa-muted);font-style:italic;margin-bottom:4px;white-space:normal}",
    ".fb{display:flex;align-items:center;gap:4px}.fb button{background:none;border:0;color:var(--qa-muted);padding:4px;",
    "display:flex;border-radius:6px}.fb button:hover{color:var(--qa-accent)}.fb svg{width:18px;height:18px}",
    ".ctx{margin-top:6px;font-size:13px;color:var(--qa-muted)}",
    ".retry{margin-top:6px;background:none;border:1px solid var(--qa-accent);color:var(--qa-accent);border-radius:6px;",
    "padding:4px 10px;display:block}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #8884}",
    "input{flex:1;min-width:0;font:inherit;font-size:16px;padding:8px;border-radius:8px;border:1px solid #8888;",
    "background:var(--qa-bg);color:var(--qa-fg)}",
    "form button{border:0;border-radius:8px;padding:8px 14px;background:var(--qa-accent);color:var(--qa-on-accent)}",
    "button:focus-visible,input:focus-visible,a:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--qa-accent);",
    "outline-offset:2px}",
    ".typing{font-style:italic;color:var(--qa-muted)}",
    "mark{background:" + MARK + ";color:#111;border-radius:3px;padding:0 2px}",
    ".sr{position:absolute;left:-9999px}",
  ].join("");
  var ICONS = {
    open: '<svg class="open-i" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" ' +
      'd="M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9zm4 0v2h2V9zm4 0v2h2V9z"/></svg>',
    close: '<svg class="close-i" viewBox="0 0 24 24" aria-hidden="true"><path stroke="currentColor" stroke-width="2.5" ' +
      'stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>',
    up: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M2 10h4v11H2zm6 11h9.4a2 2 0 0 0 ' +
      '2-1.6l1.5-7.2A1.8 1.8 0 0 0 19.1 10H14l.9-4.4A1.6 1.6 0 0 0 13.3 3.7L8 10z"/></svg>',
  };
  ICONS.down = ICONS.up.replace("<svg ", '<svg style="transform:rotate(180deg)" ');

  var host = document.createElement("div");
  host.setAttribute("data-theme", attr("data-theme", "light"));
  host.setAttribute("data-qa-widget", "");  // the hook for host-page theming: [data-qa-widget] { --qa-accent: ... }
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" + css + "</style>" +
    '<button class="launch" type="button" aria-expanded="false" aria-controls="qa-panel">' + ICONS.open +
    ICONS.close + "<span>Ask</span></button>" +
    '<section class="panel" id="qa-panel" role="dialog" hidden>' +
    '<header><h2 id="qa-title"></h2><button type="button" class="reset">New chat</button>' +
    '<button type="button" class="close" aria-label="Close chat">' + ICONS.close + "</button></header>" +
    '<div class="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0" aria-label="Conversation"></div>' +
    '<form><label class="sr" for="qa-input">Your question</label>' +
    '<input id="qa-input" autocomplete="off" maxlength="2000" enterkeyhint="send"><button type="submit">Send</button></form></section>';
  var $ = function (sel) { return root.querySelector(sel); };
  var launch = $(".launch"), panel = $(".panel"), log = $(".log"), form = $("form"), input = $("input");
  $("h2").textContent = title;
  launch.setAttribute("aria-label", title);
  panel.setAttribute("aria-labelledby", "qa-title");
  input.placeholder = placeholder;

  var state = load(), suggestions = null, marked = null;
  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(storeKey));
      if (s && Array.isArray(s.messages)) return s;
    } catch (e) { /* unreadable: start afresh */ }
    return { conversationId: null, messages: [] };
  }
  function save() { try { sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ } }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function button(cls, text, onClick) {
    var b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function open(show, keepFocus) {
    panel.hidden = !show;
    launch.setAttribute("aria-expanded", String(show));
    panel.setAttribute("aria-modal", String(show && phone.matches));
    state.open = show; save();
    if (show) { fitViewport(); fetchSuggestions(); scrollToLatest(); }
    if (keepFocus) return;
    if (show) input.focus(); else launch.focus();
  }
  launch.addEventListener("click", function () { open(panel.hidden); });
  $(".close").addEventListener("click", function () { open(false); });
  root.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) return open(false);
    if (e.key !== "Tab" || panel.hidden || !phone.matches) return;
    // The phone sheet is modal (it covers the page): Tab goes round inside it.
    var all = panel.querySelectorAll("button:not([disabled]),input,a[href],[tabindex='0']");
    var first = all[0], last = all[all.length - 1], at = root.activeElement;
    if (e.shiftKey ? at === first : at === last) { e.preventDefault(); (e.shiftKey ? last : first).focus(); }
  });
  $(".reset").addEventListener("click", function () {
    state = { conversationId: null, messages: [], open: true }; save(); clearMark();
    log.textContent = ""; log.appendChild(intro); input.focus();
  });
  // On a phone the on-screen keyboard shrinks the visual viewport: the sheet follows it, so the
  // input stays above the keyboard rather than under it.
  function fitViewport() {
    var vv = window.visualViewport;
    if (!vv || !phone.matches) { panel.style.removeProperty("--qa-height"); panel.style.removeProperty("--qa-top"); return; }
    panel.style.setProperty("--qa-height", vv.height + "px");
    panel.style.setProperty("--qa-top", vv.offsetTop + "px");
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", fitViewport);
    window.visualViewport.addEventListener("scroll", fitViewport);
  }

  // --- the greeting and the suggested questions ------------------------------------------------
  var intro = el("div", "msg bot intro");
  intro.appendChild(el("p", "", "Hi! Ask me about " + where + ". Every answer is a sentence quoted from " +
    (docId ? "the article" : "an article") + ", so you can check it yourself."));
  var introChips = el("div", "chips");
  intro.appendChild(introChips);
  log.appendChild(intro);
  function chips(into) {
    into.textContent = "";
    if (into !== introChips && suggestions && suggestions.length) into.appendChild(el("div", "lead", "Or try one of these:"));
    (suggestions || []).forEach(function (s) {
      var b = into.appendChild(button("", s.question, function () { send(s.question); }));
      if (!docId) b.title = "From “" + s.document_title + "”";
    });
    into.hidden = !into.childNodes.length;
    return into;
  }
  // The widget key (data-key), on every call: with QA_API_KEYS set, suggestions and feedback need it too.
  function keyed(headers) {
    var key = script.getAttribute("data-key");
    if (key) headers.Authorization = "Bearer " + key;
    return headers;
  }
  function fetchSuggestions() {
    if (suggestions) return;
    suggestions = [];
    fetch(base + "/suggestions" + (docId ? "?document_id=" + encodeURIComponent(docId) : ""), { headers: keyed({}) })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (body) {
        suggestions = body.suggestions || [];
        chips(introChips);
        root.querySelectorAll(".again").forEach(chips);
        scrollToLatest();  // the chips pushed a restored chat down
      })
      .catch(function (err) { suggestions = null; blocked(err); });
  }

  // --- messages --------------------------------------------------------------------------------
  // Rendered with textContent and text nodes only: article text and answers never become HTML.
  function withMark(node, text, start, end) {
    if (start >= 0 && end <= text.length && start < end) {
      node.append(text.slice(0, start), el("mark", "", text.slice(start, end)), text.slice(end));
    } else {
      node.textContent = text;
    }
    return node;
  }
  function render(m) {
    if (m.kind === "me") return log.appendChild(el("div", "msg me", m.text));
    var div = el("div", "msg bot");
    if (!m.answer) {
      div.textContent = m.text;
      if (m.offer) div.appendChild(chips(el("div", "chips again")));
      return log.appendChild(div);
    }
    var a = m.answer, h = m.closest ? [-1, -1] : a.highlight || [-1, -1];
    if (m.closest) { div.className += " closest"; div.appendChild(el("div", "lead", CLOSEST)); }
    div.appendChild(withMark(el("div", "text"), m.text, h[0], h[1]));
    if (!docId || a.document_id !== docId) div.appendChild(source(a));
    var meta = el("div", "meta"), ctx = el("div", "ctx");
    var at = a.context.indexOf(a.text);
    withMark(ctx, a.context, at, at < 0 ? -1 : at + a.text.length);
    ctx.hidden = true;
    var ctxBtn = button("", "Show context", function () {
      ctx.hidden = !ctx.hidden; ctxBtn.setAttribute("aria-expanded", String(!ctx.hidden));
      ctxBtn.textContent = ctx.hidden ? "Show context" : "Hide context";
    });
    ctxBtn.setAttribute("aria-expanded", "false");
    meta.appendChild(ctxBtn);
    var target = findTarget(a);
    if (target) meta.appendChild(button("", "Jump to it in the article", function () { jump(target); }));
    div.append(meta, ctx, feedback(m));
    return log.appendChild(div);
  }
  function source(a) {
    var src = el("div", "src", "Source: "), url = null;
    try { url = a.document_url && new URL(a.document_url); } catch (e) { url = null; }
    if (url && (url.protocol === "https:" || url.protocol === "http:")) {  // never a javascript: link
      var link = el("a", "", a.document_title);
      link.href = url.href; link.target = "_blank"; link.rel = "noopener noreferrer";
      src.appendChild(link);
    } else {
      src.append(a.document_title);
    }
    return src;
  }
  function feedback(m) {
    var row = el("div", "fb");
    if (m.helpful != null) { row.textContent = "Thanks for your feedback."; return row; }
    var label = el("span", "", "Did this help?"), note = el("span");
    var up = button("", null, function () { sendFeedback(true); });
    var down = button("", null, function () { sendFeedback(false); });
    up.innerHTML = ICONS.up; down.innerHTML = ICONS.down;  // constant markup, no reader or article text
    up.setAttribute("aria-label", "Helpful"); down.setAttribute("aria-label", "Not helpful");
    row.append(label, up, down, note);
    function sendFeedback(helpful) {
      up.disabled = down.disabled = true;
      note.textContent = "";
      fetch(base + "/feedback", {
        method: "POST", headers: keyed({ "Content-Type": "application/json" }),
        body: JSON.stringify({ helpful: helpful, question: (m.question || "").slice(0, 500),
          answer: m.text.slice(0, 1000), document_id: m.answer.document_id,
          conversation_id: state.conversationId, answer_id: m.answerId || undefined }),
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        m.helpful = helpful; save();
        var thanks = el("span", "", "Thanks for your feedback.");
        thanks.tabIndex = -1;
        row.textContent = ""; row.appendChild(thanks);
        thanks.focus();  // the buttons are gone: keep keyboard users where they were
      }).catch(function () {
        up.disabled = down.disabled = false;
        note.textContent = "Couldn't send that; please try again.";
      });
    }
    return row;
  }

  // --- jumping to the answer in the page -------------------------------------------------------
  function findTarget(a) {
    // Offsets name a sentence of this page's article only; another article's are searched as text.
    var byOffset = docId && a.document_id === docId &&
      document.querySelector('[data-qa-start="' + Number(a.start) + '"]');
    return byOffset || findInPage(a.text);
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
    // A sentence with a link or emphasis in it spans several text nodes: take the innermost block
    // that holds its opening words (descendants come after their ancestors in document order).
    var squash = function (s) { return s.replace(/\s+/g, " ").trim(); }, found = null;
    probe = squash(probe);
    document.body.querySelectorAll("p,li,blockquote,dd,td,figcaption,h1,h2,h3,h4,h5,h6,div,section,article")
      .forEach(function (e) { if (e !== host && squash(e.textContent).indexOf(probe) >= 0) found = e; });
    return found;
  }
  function jump(target) {
    clearMark();
    marked = { el: target, background: target.style.backgroundColor };
    target.style.backgroundColor = MARK;
    target.setAttribute("data-qa-marked", "");
    // A phone's sheet covers the whole page: step aside. On a desktop the sentence goes above the
    // panel when it fits there and the panel would cover it; otherwise the panel steps aside too.
    var r = target.getBoundingClientRect(), p = panel.getBoundingClientRect(), vh = window.innerHeight;
    var covered = !panel.hidden && r.right > p.left && r.left < p.right;
    var y = scrollFor(r, covered && !phone.matches ? p.top : vh);
    if (covered && (phone.matches || r.top - (y - window.scrollY) + r.height > p.top - 8)) {
      open(false);
      y = scrollFor(r, vh);
    }
    window.scrollTo({ top: y, behavior: reduceMotion.matches ? "auto" : "smooth" });
  }
  // The page offset that puts `r` in the middle of the top `room` pixels, as far as the page scrolls.
  function scrollFor(r, room) {
    var max = document.documentElement.scrollHeight - window.innerHeight;
    return Math.max(0, Math.min(max, window.scrollY + r.top - Math.max(8, (room - r.height) / 2)));
  }
  function clearMark() {
    if (!marked) return;
    marked.el.style.backgroundColor = marked.background;
    marked.el.removeAttribute("data-qa-marked");
    marked = null;
  }
  // The newest answer's first line in view (a restored chat used to open at its oldest message).
  function scrollToLatest() {
    var bots = log.querySelectorAll(".msg.bot:not(.typing)"), last = bots[bots.length - 1];
    if (!last) return;
    log.scrollTop += last.getBoundingClientRect().top - log.getBoundingClientRect().top - 12;
  }

  // --- asking ----------------------------------------------------------------------------------
  var NOT_FOUND = "Sorry, I couldn't find that in " + where + ". I can only answer with sentences from " +
    (docId ? "the article." : "the articles.");
  var CLOSEST = (docId ? "The article" : "The articles") + " may not say exactly; this is the closest passage:";
  var UNRESOLVED = "I couldn't tell who or what that question refers to. Please ask it again in full, " +
    "with the name you mean.";
  function send(q) {
    clearMark();
    push({ kind: "me", text: q });
    ask(q);
  }
  function ask(q) {
    var typing = log.appendChild(el("div", "msg bot typing", "Looking in " + (docId ? "the article…" : "the articles…")));
    log.scrollTop = log.scrollHeight;
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    fetch(base + "/ask", {
      method: "POST", signal: controller.signal,
      headers: keyed({ "Content-Type": "application/json" }),
      body: JSON.stringify({ question: q, document_id: docId, conversation_id: state.conversationId, top_k: 3 }),
    }).then(function (r) {
      if (r.status === 429) throw new Error("Too many questions right now — please wait a moment and try again.");
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (b) {
        throw new Error((b.error && b.error.message) || "The service answered with an error (" + r.status + ").");
      });
      return r.json();
    }).then(function (data) {
      clearTimeout(timer); typing.remove();
      state.conversationId = data.conversation_id;
      var id = data.answer_id;  // with insights on, joins a thumbs up or down to this answer
      if (data.answer) push({ kind: "bot", text: data.answer.text, answer: data.answer, question: q, answerId: id });
      // Likely but not certain: shown as the closest passage, never dressed as the answer.
      else if (data.closest) push({ kind: "bot", text: data.closest.text, answer: data.closest, closest: true, question: q,
        answerId: id });
      else push({ kind: "bot", text: data.abstention === "unresolved_follow_up" ? UNRESOLVED : NOT_FOUND, offer: true });
    }).catch(function (err) {
      clearTimeout(timer); typing.remove();
      if (err.name === "AbortError") return slow(q);
      blocked(err);
      log.appendChild(el("div", "msg bot", err instanceof TypeError ?
        "The question service can't be reached. Please try again later." : err.message));
      log.scrollTop = log.scrollHeight;
    });
  }
  function slow(q) {
    var div = log.appendChild(el("div", "msg bot", "This is taking too long — the service may be busy."));
    div.appendChild(button("retry", "Try again", function () { div.remove(); ask(q); }));
    log.scrollTop = log.scrollHeight;
  }
  // A browser that blocks a cross-origin answer tells the page only "TypeError": say what to check.
  function blocked(err) {
    if (!(err instanceof TypeError) || blocked.said) return;
    blocked.said = true;
    console.error("Article QA widget: no answer from " + base + ". If the service is running, add this page's " +
      "origin (" + location.origin + ") to its QA_CORS_ORIGINS setting: the browser blocks answers from another " +
      "origin unless the service allows it.");
  }
  function push(m) {
    state.messages.push(m); save();
    var div = render(m);
    if (m.kind === "me") log.scrollTop = log.scrollHeight; else scrollToLatest();
    return div;
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    input.value = "";
    send(q);
  });

  try { state.messages.forEach(render); }
  catch (e) { state = { conversationId: null, messages: [] }; log.textContent = ""; log.appendChild(intro); }
  document.body.appendChild(host);
  if (state.open) open(true, true);
})();
