"""Calls: the IVR's call state, the agent queue, callbacks and overload.

`shared_db.calls` offers what the phone line uses; the modules hold the rest:
state.py (call rows and replay), queue.py (the agent queue from both sides),
callbacks.py (callback requests from both sides).
"""
from shared_db.calls.callbacks import (
    OPEN_CALLBACK,
    callback_from_queue,
    callback_list,
    request_callback,
)
from shared_db.calls.queue import (
    ESTIMATE_WINDOW,
    MIN_SAMPLES,
    STALE_AFTER,
    QueueStats,
    enqueue,
    estimate_wait,
    leave_queue,
    mark_answered,
    open_entry,
    overloaded,
    queue_stats,
    waiting_callers,
    waiting_count,
)
from shared_db.calls.state import (
    end_call,
    lock_call,
    request_key,
    save_turn,
    start_call,
)
from shared_db.settings import OVERLOAD_QUEUE_LENGTH, OVERLOAD_WAIT_SECONDS

__all__ = [
    "OPEN_CALLBACK", "callback_from_queue", "callback_list", "request_callback",
    "ESTIMATE_WINDOW", "MIN_SAMPLES", "STALE_AFTER", "QueueStats", "enqueue", "estimate_wait", "leave_queue",
    "mark_answered", "open_entry", "overloaded", "queue_stats", "waiting_callers", "waiting_count",
    "end_call", "lock_call", "request_key", "save_turn", "start_call",
    "OVERLOAD_QUEUE_LENGTH", "OVERLOAD_WAIT_SECONDS",
]
