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


def test_follow_up_brings_in_previous_referent() -> None:
    turns = [Turn("What did the mayor of Calais say?", "What did the mayor of Calais say?",
                  "Last week, Calais mayor Natacha Bouchart appeared before a committee.", "doc")]
    resolved = resolve("When did she appear before the committee?", turns)
    assert "Natacha Bouchart" in resolved and "Calais" in resolved
    assert resolve("Who is the Calais mayor?", []) == "Who is the Calais mayor?"
    assert is_follow_up("What is his job?") and not is_follow_up("Who founded the Normans in Normandy?")
