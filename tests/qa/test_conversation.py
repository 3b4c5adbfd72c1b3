from qa.conversation import Conversations, Turn, is_follow_up, resolve


def test_unknown_id_starts_new_conversation_and_known_id_continues() -> None:
    convos = Conversations(ttl_seconds=60, max_items=10)
    c = convos.get(None)
    assert convos.get(c.id) is c
    assert convos.get("made-up").id != "made-up"


def test_idle_conversations_expire_and_count_is_bounded() -> None:
    now = [0.0]
    convos = Conversations(ttl_seconds=10, max_items=3, clock=lambda: now[0])
    first = convos.get(None)
    now[0] = 11.0
    assert convos.get(first.id) is not first  # expired: a fresh one
    for _ in range(10):
        convos.get(None)
    assert len(convos) == 3


def test_one_client_cannot_push_out_other_clients_conversations() -> None:
    convos = Conversations(ttl_seconds=60, max_items=100, per_client=3)
    reader = convos.get(None, client="ip:10.0.0.1")
    bot = [convos.get(None, client="key:bot") for _ in range(50)]
    assert convos.get(reader.id, client="ip:10.0.0.1") is reader
    assert len(convos) == 4
    assert convos.get(bot[-1].id, client="key:bot") is bot[-1]
    assert convos.get(bot[0].id, client="key:bot") is not bot[0]  # its own oldest went first


def test_follow_up_brings_in_previous_referent() -> None:
    turns = [Turn("What did the mayor of Calais say?", "What did the mayor of Calais say?",
                  "Last week, Calais mayor Natacha Bouchart appeared before a committee.", "doc")]
    resolved = resolve("When did she appear before the committee?", turns)
    assert "Natacha Bouchart" in resolved and "Calais" in resolved
    assert resolve("Who is the Calais mayor?", []) == "Who is the Calais mayor?"
    assert is_follow_up("What is his job?") and not is_follow_up("Who founded the Normans in Normandy?")
