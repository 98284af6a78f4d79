"""The offline model against everyday phrasings, end to end (Runner, real tools, SQLite).

Each case starts from the same list, sends one message (after earlier turns of the same
thread, if any), and is right when the task list afterwards AND the answer are what a person
would expect. The phrasings are written the way people type (lower case, typos, no
punctuation, prefixes), not to suit the parser. Two tables:

- PHRASINGS: requests; the suite must get at least 95% right.
- SAFETY: messages whose right outcome is "nothing changed" or "asked to confirm".

Across both, a *wrong change* (the list changed, and not as expected) must never happen.
`test_phrasing_suite_score` prints the score; run it with `-s` to see each miss.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

import db
import db.session
from bridge.agent import AgentResponder
from bridge.app import schemas_of
from bridge.ids import new_id
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.offline_model import OfflineModel
from bridge.todo.tables import TaskCounterRow, TaskRow
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from bridge.todo.tools import make_responder
from db.migrations import prepare_schema
from schemas import (
    AssistantMessageItem,
    ThreadMetadata,
    UserMessageItem,
    UserMessageTextContent,
    utcnow,
)

TODAY = date(2026, 12, 1)  # a Tuesday
SEED: list[tuple[str, str | None, bool]] = [
    ("buy milk", None, False),  # 1
    ("call mom", None, False),  # 2
    ("renew passport", None, False),  # 3
    ("pay the electricity bill", "2026-12-01", False),  # 4: due today
    ("buy eggs", "2026-11-28", False),  # 5: overdue
    ("water the plants", None, True),  # 6: done
    ("book dentist appointment", "2026-12-03", False),  # 7: this week
]
CONFIRM = "Say yes to confirm"


@dataclass(frozen=True)
class Case:
    message: str
    answer: tuple[str, ...] = ()
    """Words the answer must contain (case-insensitive)."""
    add: tuple[tuple[str, str | None], ...] = ()
    done: tuple[int, ...] = ()
    reopen: tuple[int, ...] = ()
    delete: tuple[int, ...] = ()
    rename: dict[int, str] = field(default_factory=dict)
    due: dict[int, str] = field(default_factory=dict)
    before: tuple[str, ...] = ()
    """Earlier messages of the same thread."""


def C(message: str, *answer: str, **changes: Any) -> Any:
    return pytest.param(Case(message, answer, **changes), id=message)


def _expected(case: Case) -> list[tuple[int, str, str | None, bool]]:
    tasks = {n: [title, due, done] for n, (title, due, done) in enumerate(SEED, 1)}
    for n, (title, due) in enumerate(case.add, len(SEED) + 1):
        tasks[n] = [title, due, False]
    for n in case.done:
        tasks[n][2] = True
    for n in case.reopen:
        tasks[n][2] = False
    for n, title in case.rename.items():
        tasks[n][0] = title
    for n, due in case.due.items():
        tasks[n][1] = due
    for n in case.delete:
        del tasks[n]
    return [(n, t[0], t[1], t[2]) for n, t in sorted(tasks.items())]


PHRASINGS = [
    # ---- adding ----
    C("add buy bread", "buy bread", add=(("buy bread", None),)),
    C("ad buy bread", "buy bread", add=(("buy bread", None),)),
    C("Add: pick up dry cleaning", "dry cleaning", add=(("pick up dry cleaning", None),)),
    C("todo: water the garden", "water the garden", add=(("water the garden", None),)),
    C("TODO water the garden", "water the garden", add=(("water the garden", None),)),
    C("new task: fix the bike", "fix the bike", add=(("fix the bike", None),)),
    C("add a task to fix the bike", "fix the bike", add=(("fix the bike", None),)),
    C("create a task called fix the bike", "fix the bike", add=(("fix the bike", None),)),
    C("I need to pay the water bill", "water bill", add=(("pay the water bill", None),)),
    C(
        "i have to return the library books",
        "library books",
        add=(("return the library books", None),),
    ),
    C("need to get a haircut", "haircut", add=(("get a haircut", None),)),
    C("gotta clean the garage", "garage", add=(("clean the garage", None),)),
    C("remind me to submit taxes next week", "submit taxes", add=(("submit taxes", "2026-12-08"),)),
    C("remind me to call the bank tomorrow", "2026-12-02", add=(("call the bank", "2026-12-02"),)),
    C("add call grandma on Dec 20", "2026-12-20", add=(("call grandma", "2026-12-20"),)),
    C(
        "add dentist checkup tomorrow morning",
        "2026-12-02",
        add=(("dentist checkup", "2026-12-02"),),
    ),
    C("add party at jims saturday at 5pm", "2026-12-05", add=(("party at jims", "2026-12-05"),)),
    C("add pay rent by friday", "2026-12-04", add=(("pay rent", "2026-12-04"),)),
    C("add gym in 3 days", "2026-12-04", add=(("gym", "2026-12-04"),)),
    C("add send invoices end of month", "2026-12-31", add=(("send invoices", "2026-12-31"),)),
    C("add clean the house this weekend", "2026-12-05", add=(("clean the house", "2026-12-05"),)),
    C("add book flights 2026-12-24", "2026-12-24", add=(("book flights", "2026-12-24"),)),
    C("add water plants tmrw", "2026-12-02", add=(("water plants", "2026-12-02"),)),
    C("add tomorrow call the plumber", "plumber", add=(("call the plumber", "2026-12-02"),)),
    C(
        "add buy milk; add buy eggs",
        "buy milk",
        "buy eggs",
        add=(("buy milk", None), ("buy eggs", None)),
    ),
    C("add bread and add butter", "bread", "butter", add=(("bread", None), ("butter", None))),
    C("add milk and eggs", "milk and eggs", add=(("milk and eggs", None),)),
    C("please add feed the cat", "feed the cat", add=(("feed the cat", None),)),
    C("can you add feed the cat please", "feed the cat", add=(("feed the cat", None),)),
    C("could u add feed the cat", "feed the cat", add=(("feed the cat", None),)),
    C("put bananas on my list", "bananas", add=(("bananas", None),)),
    C("add bananas to my shopping list", "bananas", add=(("bananas", None),)),
    C("add 'call the vet'", "call the vet", add=(("call the vet", None),)),
    C("add “email boss”", "email boss", add=(("email boss", None),)),
    C("don't forget to lock the shed", "lock the shed", add=(("lock the shed", None),)),
    C("remember to buy stamps", "buy stamps", add=(("buy stamps", None),)),
    C("add buy 2 dozen eggs", "2 dozen eggs", add=(("buy 2 dozen eggs", None),)),
    C("add read a book", "read a book", add=(("read a book", None),)),
    C("add mow the lawn next monday", "2026-12-07", add=(("mow the lawn", "2026-12-07"),)),
    C(
        "Add Buy Birthday Present For Sam",
        "Birthday",
        add=(("Buy Birthday Present For Sam", None),),
    ),
    C("buy bread", "Add “buy bread”"),
    C("yes", "buy bread", add=(("buy bread", None),), before=("buy bread",)),
    # ---- listing ----
    C("what's on my list", "6 open tasks"),
    C("whats on my list", "6 open tasks"),
    C("show my tasks", "6 open tasks"),
    C("show tasks", "6 open tasks"),
    C("list", "6 open tasks"),
    C("my list", "6 open tasks"),
    C("todo list", "6 open tasks"),
    C("tasks?", "6 open tasks"),
    C("what's left", "6 open tasks"),
    C("whats left to do", "6 open tasks"),
    C("what do i have to do", "6 open tasks"),
    C("what do I need to do today", "due today", "electricity"),
    C("what's due today?", "electricity"),
    C("anything due today", "electricity"),
    C("due today", "electricity"),
    C("what's due tomorrow", "Nothing is due tomorrow"),
    C("what's overdue", "buy eggs"),
    C("anything overdue?", "buy eggs"),
    C("what's late", "buy eggs"),
    C("what's due this week", "electricity", "dentist"),
    C("show completed tasks", "1 completed task"),
    C("show done", "1 completed task"),
    C("what have i done", "1 completed task"),
    C("what did i finish", "1 completed task"),
    C("show everything", "7 tasks"),
    C("show all tasks", "7 tasks"),
    C("list all", "7 tasks"),
    C("how many tasks do i have", "6 open tasks"),
    C("how many left", "6 open tasks"),
    C("what's next?", "buy eggs"),
    C("whats next", "buy eggs"),
    C("what should i do next", "buy eggs"),
    C("shwo my list", "6 open tasks"),
    C("lsit tasks", "6 open tasks"),
    C("can you show me my todos", "6 open tasks"),
    C("show me what's pending", "6 open tasks"),
    # ---- completing ----
    C("mark 2 done", "call mom", done=(2,)),
    C("mark 2 as done", "call mom", done=(2,)),
    C("2 done", "call mom", done=(2,)),
    C("done 2", "call mom", done=(2,)),
    C("complete 2", "call mom", done=(2,)),
    C("compelte 2", "call mom", done=(2,)),
    C("finish task 2", "call mom", done=(2,)),
    C("check off 2", "call mom", done=(2,)),
    C("tick off task #2", "call mom", done=(2,)),
    C("mark #2 complete", "call mom", done=(2,)),
    C("complete the milk task", "buy milk", done=(1,)),
    C("done with the milk task", "buy milk", done=(1,)),
    C("milk task done", "buy milk", done=(1,)),
    C("milk done", "buy milk", done=(1,)),
    C("mark milk as done", "buy milk", done=(1,)),
    C("i finished the passport one", "renew passport", done=(3,)),
    C("mom is done", "call mom", done=(2,)),
    C("the dentist thing is done", "dentist", done=(7,)),
    C("I've done the electricity bill", "electricity", done=(4,)),
    C("cross off the passport", "passport", done=(3,)),
    C("mark mlik done", "buy milk", done=(1,)),
    C("complete pasport", "passport", done=(3,)),
    C("complete 2 and 3", "call mom", "passport", done=(2, 3)),
    C("mark 1, 2 and 3 done", "buy milk", "passport", done=(1, 2, 3)),
    C("complete 2 & 3", "call mom", "passport", done=(2, 3)),
    C(
        "mark it done",
        "feed the cat",
        add=(("feed the cat", None),),
        done=(8,),
        before=("add feed the cat",),
    ),
    C(
        "done with it",
        "feed the cat",
        add=(("feed the cat", None),),
        done=(8,),
        before=("add feed the cat",),
    ),
    C("mark that as done", "call mom", done=(2,), before=("rename 2 to call mom",)),
    C("mark all as done", CONFIRM),
    C("yes", "buy milk", "dentist", done=(1, 2, 3, 4, 5, 7), before=("mark all as done",)),
    C("complete the buy task", "Which one"),
    C("5", "buy eggs", done=(5,), before=("complete the buy task",)),
    C("task 5", "buy eggs", done=(5,), before=("complete the buy task",)),
    C("the first one", "buy milk", done=(1,), before=("complete the buy task",)),
    C("the second one", "buy eggs", done=(5,), before=("complete the buy task",)),
    C("the eggs one", "buy eggs", done=(5,), before=("complete the buy task",)),
    C("eggs", "buy eggs", done=(5,), before=("complete the buy task",)),
    C("#1", "buy milk", done=(1,), before=("complete the buy task",)),
    # ---- reopening ----
    C("reopen 6", "water the plants", reopen=(6,)),
    C("uncheck 6", "water the plants", reopen=(6,)),
    C("mark 6 as not done", "water the plants", reopen=(6,)),
    C("mark the plants task undone", "water the plants", reopen=(6,)),
    C("undo the plants one", "water the plants", reopen=(6,)),
    C("water the plants isn't done", "water the plants", reopen=(6,)),
    # ---- renaming ----
    C("rename 3 to renew passport and visa", "visa", rename={3: "renew passport and visa"}),
    C("rename 2 to call mum", "call mum", rename={2: "call mum"}),
    C("change the eggs one to eggs (dozen)", "eggs (dozen)", rename={5: "eggs (dozen)"}),
    C("rename the milk task to buy oat milk", "oat milk", rename={1: "buy oat milk"}),
    C("change task 2 to call dad", "call dad", rename={2: "call dad"}),
    C("change the title of 1 to buy soy milk", "soy milk", rename={1: "buy soy milk"}),
    C("rename milk to almond milk", "almond milk", rename={1: "almond milk"}),
    C("edit 2 to call mom back", "call mom back", rename={2: "call mom back"}),
    C("renmae 2 to call dad", "call dad", rename={2: "call dad"}),
    C("replace call mom with call dad", "call dad", rename={2: "call dad"}),
    # ---- due dates ----
    C("move task 2 to friday", "2026-12-04", due={2: "2026-12-04"}),
    C("move 2 to tomorrow", "2026-12-02", due={2: "2026-12-02"}),
    C("reschedule the dentist to next week", "2026-12-08", due={7: "2026-12-08"}),
    C("push the dentist to monday", "2026-12-07", due={7: "2026-12-07"}),
    C("postpone 4 until friday", "2026-12-04", due={4: "2026-12-04"}),
    C("change the due date of the milk task to tomorrow", "2026-12-02", due={1: "2026-12-02"}),
    C("set 3 due dec 15", "2026-12-15", due={3: "2026-12-15"}),
    C("milk is due friday", "2026-12-04", due={1: "2026-12-04"}),
    C("passport due on the 20th", "2026-12-20", due={3: "2026-12-20"}),
    C("move the electricity bill to next monday", "2026-12-07", due={4: "2026-12-07"}),
    C(
        "move it to friday",
        "2026-12-04",
        add=(("feed the cat", None),),
        due={8: "2026-12-04"},
        before=("add feed the cat",),
    ),
    # ---- deleting ----
    C("delete task 2", "Deleted", delete=(2,)),
    C("delete 2", "Deleted", delete=(2,)),
    C("del 2", "Deleted", delete=(2,)),
    C("remove #2", "Deleted", delete=(2,)),
    C("dleete task 2", "Deleted", delete=(2,)),
    C("delte 2", "Deleted", delete=(2,)),
    C("delete the milk task", "Deleted", delete=(1,)),
    C("remove milk from my list", "Deleted", delete=(1,)),
    C("forget the passport one", "Deleted", delete=(3,)),
    C("get rid of the dentist thing", "Deleted", delete=(7,)),
    C("i don't need to call mom anymore", "Deleted", delete=(2,)),
    C("cancel the dentist appointment", "Deleted", delete=(7,)),
    C("scrap the electricity bill", "Deleted", delete=(4,)),
    C("delete 2 and 3", "call mom", "passport", delete=(2, 3)),
    C(
        "delete it",
        "Deleted",
        add=(("feed the cat", None),),
        delete=(8,),
        before=("add feed the cat",),
    ),
    C(
        "delete the last one",
        "Deleted",
        add=(("feed the cat", None),),
        delete=(8,),
        before=("add feed the cat",),
    ),
    C("yes", "Deleted", delete=(3,), before=("delete pasport",)),
    C("yes", "Deleted", delete=(1, 2, 3, 4, 5, 6, 7), before=("delete all",)),
    C("yep", "Deleted", delete=(1, 2, 3, 4, 5, 6, 7), before=("delete everything",)),
    C("the milk one", "Deleted", delete=(1,), before=("delete the buy task",)),
    C("1", "Deleted", delete=(1,), before=("delete the buy task",)),
    # ---- clearing completed ----
    C("clear completed tasks", "water the plants", CONFIRM),
    C("yes", "Deleted", delete=(6,), before=("clear all done tasks",)),
    C("yes please", "Deleted", delete=(6,), before=("remove finished tasks",)),
    # ---- talking ----
    C("hi", "todo list"),
    C("hello!", "todo list"),
    C("thanks", "welcome"),
    C("thank you!", "welcome"),
    C("how are you", "list"),
    C("help", "add buy milk"),
    C("what can you do", "add buy milk"),
    C("who are you", "offline"),
    C("what's the capital of france?", "add buy milk"),
    C("tell me a joke", "add buy milk"),
    C("7", "dentist"),
    # ---- a second batch, written before trying any of them ----
    C("add get gas", "get gas", add=(("get gas", None),)),
    C("Add pick up kids at 3pm", "pick up kids", add=(("pick up kids", "2026-12-01"),)),
    C("add text sarah back", "text sarah back", add=(("text sarah back", None),)),
    C("new todo - clean fridge", "clean fridge", add=(("clean fridge", None),)),
    C("add: laundry", "laundry", add=(("laundry", None),)),
    C(
        "i should call the insurance company",
        "insurance",
        add=(("call the insurance company", None),),
    ),
    C(
        "remind me to take out the trash tonight",
        "2026-12-01",
        add=(("take out the trash", "2026-12-01"),),
    ),
    C("remind me tomorrow to call the bank", "2026-12-02", add=(("call the bank", "2026-12-02"),)),
    C("add vacuum the car on saturday", "2026-12-05", add=(("vacuum the car", "2026-12-05"),)),
    C(
        "add order flowers for mom by thursday",
        "2026-12-03",
        add=(("order flowers for mom", "2026-12-03"),),
    ),
    C("add submit report due friday", "2026-12-04", add=(("submit report", "2026-12-04"),)),
    C("add renew car insurance jan 5", "2027-01-05", add=(("renew car insurance", "2027-01-05"),)),
    C("add buy a christmas tree", "christmas tree", add=(("buy a christmas tree", None),)),
    C("add call mom and dad", "call mom and dad", add=(("call mom and dad", None),)),
    C(
        "add walk the dog\nadd feed the fish",
        "walk the dog",
        "feed the fish",
        add=(("walk the dog", None), ("feed the fish", None)),
    ),
    C("whats on the list", "6 open tasks"),
    C("what do i have left", "6 open tasks"),
    C("show me everything", "7 tasks"),
    C("what's on my plate today", "electricity"),
    C("any tasks due this week?", "dentist"),
    C("which tasks are overdue", "buy eggs"),
    C("list completed", "1 completed task"),
    C("show my todo list pls", "6 open tasks"),
    C("how many things are left", "6 open tasks"),
    C("what should i work on", "buy eggs"),
    C("mark task 3 as complete", "passport", done=(3,)),
    C("3 is done", "passport", done=(3,)),
    C("finished 3", "passport", done=(3,)),
    C("check 3", "passport", done=(3,)),
    C("mark the passport task as finished", "passport", done=(3,)),
    C("done: call mom", "call mom", done=(2,)),
    C("ok mark the eggs done", "buy eggs", done=(5,)),
    C("mark dentist done", "dentist", done=(7,)),
    C("electricity bill is done", "electricity", done=(4,)),
    C("mark 4 and 5 done", "electricity", "eggs", done=(4, 5)),
    C(
        "mark done",
        "feed the cat",
        add=(("feed the cat", None),),
        done=(8,),
        before=("add feed the cat",),
    ),
    C("mark 6 not done", "water the plants", reopen=(6,)),
    C("reopen the plants task", "water the plants", reopen=(6,)),
    C("rename task 5 to buy a dozen eggs", "dozen", rename={5: "buy a dozen eggs"}),
    C("change 'call mom' to 'call mom about xmas'", "xmas", rename={2: "call mom about xmas"}),
    C(
        "rename the dentist one to book dentist for kids",
        "kids",
        rename={7: "book dentist for kids"},
    ),
    C("move the passport task to next friday", "2026-12-04", due={3: "2026-12-04"}),
    C("reschedule 5 for tomorrow", "2026-12-02", due={5: "2026-12-02"}),
    C("push 4 to next week", "2026-12-08", due={4: "2026-12-08"}),
    C("make the milk due tomorrow", "2026-12-02", due={1: "2026-12-02"}),
    C("delete #5", "Deleted", delete=(5,)),
    C("remove task 4 please", "Deleted", delete=(4,)),
    C("delete the eggs", "Deleted", delete=(5,)),
    C("take the milk off my list", "Deleted", delete=(1,)),
    C("get rid of 3", "Deleted", delete=(3,)),
    C("never mind the dentist", "Deleted", delete=(7,)),
    C("good morning", "todo list"),
    C("thx", "welcome"),
    C("cool", "👍"),
    C("bye", "Bye"),
    # ---- a third batch: my own tries of the model, fixed, then kept here ----
    C("i already called mom", CONFIRM, "call mom"),
    C("yes", "call mom", done=(2,), before=("called mom",)),
    C("bought eggs", CONFIRM, "buy eggs"),
    C("yes", "electricity", done=(4,), before=("paid the electricity bill",)),
    C("clear the list", CONFIRM),
    C("delete tasks 2-4", "Deleted", delete=(2, 3, 4)),
    C("please delete task number 2", "Deleted", delete=(2,)),
    C("what is task 3", "renew passport", "open"),
    C("actually delete the eggs", "Deleted", delete=(5,)),
    C("yes", "Deleted", delete=(1, 5), before=("can you remove the milk and eggs",)),
    C("mark milk and passport done", CONFIRM),
    C("yes", "Marked", done=(1, 3), before=("mark milk and passport done",)),
    C("delete everything done", CONFIRM, "water the plants"),
    # ---- a list just shown: positions refer to it ----
    C("delete the first one", "Deleted", delete=(1,), before=("show my list",)),
    C("mark the second one done", "call mom", done=(2,), before=("whats on my list",)),
    C("complete the last one", "dentist", done=(7,), before=("show tasks",)),
    # ---- a fourth batch, written blind at the end (first run: see the note) ----
    C("add schedule oil change", "oil change", add=(("schedule oil change", None),)),
    C(
        "pls add call the landlord re: heating",
        "landlord",
        add=(("call the landlord re: heating", None),),
    ),
    C(
        "add pick up prescription friday",
        "2026-12-04",
        add=(("pick up prescription", "2026-12-04"),),
    ),
    C(
        "remind me to email the teacher on monday",
        "2026-12-07",
        add=(("email the teacher", "2026-12-07"),),
    ),
    C("new: buy wrapping paper", "wrapping paper", add=(("buy wrapping paper", None),)),
    C("i need to book a table for saturday", "2026-12-05", add=(("book a table", "2026-12-05"),)),
    C(
        "Add sign the permission slip!!",
        "permission slip",
        add=(("sign the permission slip", None),),
    ),
    C(
        "add call dentist, add buy toothpaste",
        "toothpaste",
        add=(("call dentist", None), ("buy toothpaste", None)),
    ),
    C("whats due", "electricity"),
    C("whats on today", "electricity"),
    C("what's coming up this week", "dentist"),
    C("show me the done ones", "1 completed task"),
    C("list everything", "7 tasks"),
    C("what tasks do i have", "6 open tasks"),
    C("what's my next task", "buy eggs"),
    C("mark task 1 done pls", "buy milk", done=(1,)),
    C("check off milk", "buy milk", done=(1,)),
    C("i did the passport", "passport", done=(3,)),
    C("eggs done", "buy eggs", done=(5,)),
    C("finished the dentist one", "dentist", done=(7,)),
    C("complete task one", "buy milk", done=(1,)),
    C("2 and 4 are done", "call mom", "electricity", done=(2, 4)),
    C("actually 6 isn't done", "water the plants", reopen=(6,)),
    C("rename task 1 to buy 2% milk", "2% milk", rename={1: "buy 2% milk"}),
    C(
        "change passport to renew passport + visa photos",
        "visa photos",
        rename={3: "renew passport + visa photos"},
    ),
    C("move the eggs to saturday", "2026-12-05", due={5: "2026-12-05"}),
    C("postpone the electricity bill to next week", "2026-12-08", due={4: "2026-12-08"}),
    C("dentist is due monday now", "2026-12-07", due={7: "2026-12-07"}),
    C("delete number 3", "Deleted", delete=(3,)),
    C("remove the electricity bill task", "Deleted", delete=(4,)),
    C("get rid of task 7", "Deleted", delete=(7,)),
    C("delete tasks 1 and 2", "Deleted", delete=(1, 2)),
    C("thanks!!", "welcome"),
    C("hey there", "todo list"),
    C("what can i ask you", "add buy milk"),
    # ---- a fifth batch, written blind (first run: see the note) ----
    C("ADD CALL THE BANK", "CALL THE BANK", add=(("CALL THE BANK", None),)),
    C("add   buy   batteries  ", "buy batteries", add=(("buy batteries", None),)),
    C("add buy batteries 🔋", "batteries", add=(("buy batteries 🔋", None),)),
    C(
        "hey could you add a reminder to renew my license next month",
        "license",
        add=(("renew my license", "2027-01-01"),),
    ),
    C("i really need to fix the leaking tap", "leaking tap", add=(("fix the leaking tap", None),)),
    C("todo - return amazon package", "amazon package", add=(("return amazon package", None),)),
    C("note to self: buy a new charger", "charger", add=(("buy a new charger", None),)),
    C("whats on the agenda", "6 open tasks"),
    C("show me whats left to do", "6 open tasks"),
    C("what do i still have to do", "6 open tasks"),
    C("anything due tomorrow?", "Nothing is due tomorrow"),
    C("overdue", "buy eggs"),
    C("done with 2", "call mom", done=(2,)),
    C("i finished task 3", "passport", done=(3,)),
    C("mark #4 as done please", "electricity", done=(4,)),
    C("tick the milk off", "buy milk", done=(1,)),
    C("the eggs are done", "buy eggs", done=(5,)),
    C("bump the dentist to next friday", "2026-12-04", due={7: "2026-12-04"}),
    C("can you move milk to the weekend", "2026-12-05", due={1: "2026-12-05"}),
    C("rename 'buy milk' to 'buy oat milk'", "oat milk", rename={1: "buy oat milk"}),
    C("call mom should say call mom and dad", "mom and dad", rename={2: "call mom and dad"}),
    C("remove 7", "Deleted", delete=(7,)),
    C("pls delete the passport task", "Deleted", delete=(3,)),
    C("i dont need the eggs anymore", "Deleted", delete=(5,)),
    C("ty!", "welcome"),
]

SAFETY = [
    C("delete all", CONFIRM),
    C("delete all tasks", CONFIRM),
    C("remove everything", CONFIRM),
    C("clear my list", CONFIRM),
    C("wipe the whole list", CONFIRM),
    C("deleet all", CONFIRM),
    C("nuke everything", CONFIRM),
    C("hey can you delete all my tasks", CONFIRM),
    C("mark all as done", CONFIRM),
    C("complete everything", CONFIRM),
    C("finish all", CONFIRM),
    C("mark everything done", CONFIRM),
    C("clear all done tasks", CONFIRM),
    C("delete pasport", CONFIRM),
    C("remove the pasport one", CONFIRM),
    C("delete all", "call mom"),  # the list in the question names every task, "call" too
    C("delete them", "Which task"),
    C("delete it", "Which task"),
    C("mark it done", "Which task"),
    C("delete that", "Which task"),
    C("delete the car task", "couldn't find"),
    C("delete the buy task", "Which one"),
    C("remove buy", "Which one"),
    C("delete task 99", "no task 99"),
    C("complete 42", "no task 42"),
    C("delete", "add buy milk"),
    C("delete the eggs and milk", CONFIRM, "5 “buy eggs”", "1 “buy milk”"),
    C("no", "nothing changed", before=("delete all",)),
    C("nope", "nothing changed", before=("mark all as done",)),
    C("cancel", "nothing changed", before=("delete pasport",)),
    C("no", "nothing changed", before=("clear all done tasks",)),
    C("yes", "OK"),
    C("no", "nothing changed"),
    C("cancel", "nothing changed"),
    C("stop", "nothing changed"),
    C("call mom", "Add “call mom”"),
    C("what's the weather like", "add buy milk"),
    C("delete all the things i dont need", "couldn't find"),
    C("what is all this", "add buy milk"),
    C("mark call done", "call mom", done=(2,)),  # a whole word of one task: pinned down
    C("delete al", "couldn't find"),
    C("complete the mom", "call mom", done=(2,)),
    C("yes", "Deleted", delete=(3,), before=("remove the pasport one",)),
    C("delete everything", CONFIRM, before=("add feed the cat",), add=(("feed the cat", None),)),
    C("who are you", "offline"),
    C("delete the first one", CONFIRM),  # no list shown in this thread: which first one?
    C("all done", "👍"),
    C("im done", "👍"),
    C("done", "👍"),
    C("undo", "add buy milk"),
    C("delete 2 or 3", "couldn't find"),  # "or": the user is not sure which
    C("yes", "Which one", before=("delete the buy task",)),
    C("both", CONFIRM, "1 “buy milk”", "5 “buy eggs”", before=("delete the buy task",)),
    C("delete them", CONFIRM, before=("delete the buy task",)),
    C("mark done", "Which task"),
    C("do not mark milk done", "couldn't find"),
    C("is milk done?", "buy milk", "open"),
    C("is task 6 done", "water the plants", "done"),
    C("did i finish the passport", "renew passport", "open"),
    C("is it raining", "add buy milk"),
    C("no wait", "nothing changed", before=("delete all",)),
    C("got the milk", "Add “got the milk”"),  # no task has "get" or "got": nothing to mark
    C("watered the plants", "Add"),  # the plants task is already done: nothing to ask about
]


@dataclass
class Outcome:
    right: bool
    wrong_change: bool
    detail: str


async def _run(case: Case, store: db.Store) -> Outcome:
    user = new_id("user")  # a user per case: its own list, numbers and thread
    await _seed(store, user)
    responder = make_responder(Settings(offline=True), model=OfflineModel(today=TODAY))
    thread = ThreadMetadata(id=new_id("thr"), created_at=utcnow())
    await store.create_thread(user, thread)
    answer = ""
    for message in (*case.before, case.message):
        answer = await _turn(responder, store, user, thread, message)
    got = [
        (t["id"], t["title"], t["due_date"], t["completed"])
        for t in await TaskStore.of(store).list_tasks(user)
    ]
    want = _expected(case)
    before = _expected(Case("", add=case.add)) if case.before else _expected(Case(""))
    tasks_right = got == want
    answer_right = all(word.lower() in answer.lower() for word in case.answer)
    wrong_change = not tasks_right and got != before
    detail = f"{case.message!r}: answer={answer!r}" + ("" if tasks_right else f" tasks={got}")
    return Outcome(tasks_right and answer_right, wrong_change, detail)


async def _seed(store: db.Store, user: str) -> None:
    """SEED as the user's tasks 1-7, in one transaction (the suite runs hundreds of cases)."""
    now = utcnow()
    rows = [
        {
            "user_id": user,
            "number": n,
            "title": title,
            "due_date": date.fromisoformat(due) if due else None,
            "completed": done,
            "created_at": now,
            "updated_at": now,
        }
        for n, (title, due, done) in enumerate(SEED, 1)
    ]
    async with store.engine.begin() as conn:
        await conn.execute(insert(TaskRow), rows)
        await conn.execute(insert(TaskCounterRow), [{"user_id": user, "last_number": len(SEED)}])


async def _turn(
    responder: AgentResponder, store: db.Store, user: str, thread: ThreadMetadata, text: str
) -> str:
    item = UserMessageItem(
        id=new_id("msg"),
        thread_id=thread.id,
        created_at=utcnow(),
        content=[UserMessageTextContent(text=text)],
    )
    await store.add_item(user, item)
    turn = Turn(
        user_id=user, thread=thread, store=store, settings=Settings(offline=True), input=item
    )
    said = []
    async for event in responder.respond(turn):
        if event.type == "thread.item.done":
            await store.add_item(user, event.item)
            if isinstance(event.item, AssistantMessageItem):
                said.append("".join(part.text for part in event.item.content))
    return "\n".join(said)


Runner = Callable[[Case], Awaitable[Outcome]]


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Runner]:
    engine = db.make_engine(f"sqlite:///{tmp_path}/phrasings.db")
    await prepare_schema(engine, schemas_of(TodoApp()))  # the bridge's tables and the todo's
    store = db.Store(engine)
    yield lambda case: _run(case, store)
    await store.close()


async def test_phrasing_suite_score(run: Runner, request: pytest.FixtureRequest) -> None:
    """At least 95% of the everyday phrasings right, and no wrong change anywhere."""
    limit = asyncio.Semaphore(8)  # cases are independent (a user each): overlap their I/O

    async def one(param: Any) -> Outcome:
        async with limit:
            return await run(param.values[0])

    phrasings = await asyncio.gather(*map(one, PHRASINGS))
    safety = await asyncio.gather(*map(one, SAFETY))
    right = sum(o.right for o in phrasings)
    safe = sum(o.right for o in safety)
    wrong = [o.detail for o in phrasings + safety if o.wrong_change]
    misses = [o.detail for o in phrasings + safety if not o.right]
    report = (
        f"phrasings: {right}/{len(phrasings)} right ({right / len(phrasings):.1%}); "
        f"safety: {safe}/{len(safety)} right; wrong changes: {len(wrong)}"
    )
    print(report, *misses, sep="\n  ")
    assert len(phrasings) >= 150
    assert wrong == [], report
    assert safe == len(safety), report + "\n" + "\n".join(misses)
    assert right / len(phrasings) >= 0.95, report + "\n" + "\n".join(misses)


async def test_the_checker_sees_a_wrong_change_and_a_wrong_answer(run: Runner) -> None:
    """The suite can fail: a change nobody asked for, and an answer without the words."""
    deleted_unasked = await run(Case("delete task 2", ("Deleted",)))
    wrong_answer = await run(Case("delete task 2", ("Added",), delete=(2,)))
    right = await run(Case("delete task 2", ("Deleted",), delete=(2,)))

    assert (deleted_unasked.right, deleted_unasked.wrong_change) == (False, True)
    assert (wrong_answer.right, wrong_answer.wrong_change) == (False, False)
    assert (right.right, right.wrong_change) == (True, False)
