from qa.answer.conversation import Conversations, SharedConversations, Turn, is_follow_up, resolve


class DictSessions:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, float, str]] = {}

    def get_conversation(self, conversation_id: str) -> tuple[str, float, str] | None:
        return self.rows.get(conversation_id)

    def put_conversation(self, conversation_id: str, client: str, touched: float, turns: str) -> None:
        self.rows[conversation_id] = (client, touched, turns)

    def prune_conversations(self, client: str, keep: int, expired_before: float, max_total: int) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v[1] >= expired_before}
        mine = sorted((v[1], k) for k, v in self.rows.items() if v[0] == client)
        for _, k in mine[: max(0, len(mine) - keep)] if keep else []:
            del self.rows[k]


def test_shared_conversations_survive_between_instances_and_expire() -> None:
    now = [100.0]
    sessions = DictSessions()
    one = SharedConversations(sessions, ttl_seconds=10, max_items=100, per_client=2, clock=lambda: now[0])
    other = SharedConversations(sessions, ttl_seconds=10, max_items=100, per_client=2, clock=lambda: now[0])
    c = one.get(None, client="ip:1")
    one.record(c, Turn("Who won?", "Who won?", "Denver won.", "sb50", 3))
    again = other.get(c.id, client="ip:1")  # another process, same database
    assert again.id == c.id and again.turns == c.turns
    for _ in range(3):
        now[0] += 0.1
        other.get(None, client="ip:1")
    assert other.get(c.id, client="ip:1").id != c.id  # pushed out by the client's own newer ones
    now[0] += 10.15  # all of them idle for longer than the TTL now
    assert len(sessions.rows) == 2 and other.get(None).id not in {c.id}
    assert len(sessions.rows) == 1  # the expired ones went when a new one started


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


def test_names_carried_into_a_follow_up_stay_apart() -> None:
    from qa.answer.conversation import Turn, resolve
    from qa.answer.question import parse

    turns = [Turn("who is the Calais mayor", "who is the Calais mayor", "Calais mayor Natacha Bouchart spoke.", "d", 3)]
    resolved = resolve("what did she say", turns)
    assert {"Calais", "Natacha Bouchart"} <= set(parse(resolved).names)


def test_abstention_tells_an_unreadable_follow_up_from_an_unanswered_question() -> None:
    from qa.answer.conversation import Turn, abstention

    before = [Turn("What did Brokenshire say?", "What did Brokenshire say?", "We will not.", "d")]
    # Read with the turn before ("he" is Brokenshire): understood, and the article does not say.
    assert abstention("Why did he resign?", "Why did he resign? Brokenshire", before) == "not_in_article"
    assert abstention("Why did he resign?", "Why did he resign?", []) == "unresolved_follow_up"
    assert abstention("What did Theresa May say about her visit?", "What did Theresa May say about her visit?",
                      []) == "not_in_article"
    assert abstention("What is the population of Paris?", "What is the population of Paris?",
                      before) == "not_in_article"


def test_existential_there_is_not_a_reference_back() -> None:
    from qa.answer.conversation import is_follow_up

    assert not is_follow_up("will there be a bike lane on mill road")
    assert not is_follow_up("Is there a plan to reopen the station before Christmas?")
    assert is_follow_up("was he there when it happened")
    assert is_follow_up("what did she say")
