# The peer of messages.keel: 1,000,000 events through a bounded queue (a collections.deque of
# handler and payload) to a handler that updates state, in batches of 1,000 acknowledged by an
# event, as the agents there do.
from collections import deque

CAPACITY = 1024
queue = deque()
state = {"n": 0}


def send(handler, payload):
    if len(queue) >= CAPACITY:
        raise RuntimeError("busy")
    queue.append((handler, payload))


def on_message(x):
    state["n"] += 1
    if state["n"] % 1000 == 0:
        send(on_ack, state["n"])
    if state["n"] == 1000000:
        queue.clear()


def on_ack(n):
    for i in range(1, 1001):
        send(on_message, i)


send(on_ack, 0)
while queue:
    handler, payload = queue.popleft()
    handler(payload)
assert state["n"] == 1000000
