"""A leaking service for binder/memory_leak.ipynb: a session cache that never forgets.

``login()`` runs 100 times a second in the thread "web": it makes a ``Session`` (with a
profile dict and a list of ``Event`` objects) and keeps it in the module's ``_SESSIONS`` dict,
which nothing ever evicts (the leak). Recent events go to a bounded deque (no leak there).
Bounded for the demo's sake: the leak stops at 100,000 sessions.
"""

import collections
import itertools
import threading
import time

from demo_lifeline import serve_until_parent_exits

MAX_SESSIONS = 100_000


class Event:
    def __init__(self, what, at):
        self.what = what
        self.at = at


class Session:
    def __init__(self, user_id):
        self.user_id = user_id
        self.profile = {"name": f"user-{user_id}", "roles": ["reader"], "theme": "dark"}
        self.events = [Event("login", time.time())]


_SESSIONS = {}
RECENT = collections.deque(maxlen=1000)


def login(user_id):
    session = Session(user_id)
    if len(_SESSIONS) < MAX_SESSIONS:
        _SESSIONS[user_id] = session  # the leak: sessions are never evicted
    RECENT.append(session.events[0])
    return session


def web():
    for user_id in itertools.count():
        login(user_id)
        time.sleep(0.01)


threading.Thread(target=web, name="web", daemon=True).start()
serve_until_parent_exits()
