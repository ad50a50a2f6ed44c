import abc


class EventQueue(abc.ABC):
    """Where stored events wait for a worker (WEBHOOK_PROCESSING=queue): a task queue.

    `enqueue` sends one event's id; the worker applies the event stored under it. A
    message may be lost (a broker down, a worker that dies): the inbox still holds the
    event as received, and the sweeper sends it again. `enqueue` may raise when the
    queue cannot be reached; callers log it and go on.
    """

    @abc.abstractmethod
    def enqueue(self, event_id: str) -> None: ...
