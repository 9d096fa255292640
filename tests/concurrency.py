"""Run one action from many threads at the same instant, each in its own app context and session."""
import threading
from collections.abc import Callable, Sequence

from clubcrm.errors import DomainError
from clubcrm.extensions import db


def at_once(app, count: int, action: Callable[[], object]) -> list:
    """Start ACTION in COUNT threads together; return each one's result or the code of its DomainError.

    A thread waits at the barrier before it touches the pool: one parked there holding a connection
    would starve the others of the pool's 15. The session is committed (what a view's boundary does
    also on a refusal) and removed after each action."""
    barrier, results, lock = threading.Barrier(count), [], threading.Lock()

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                result = action()
            except DomainError as error:
                result = error.code
            finally:
                db.session.commit()
                db.session.remove()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def together(actions: Sequence[Callable[[], object]], timeout: float = 90) -> list:
    """Run each of ACTIONS in a thread of its own, all released at the same instant; return their results."""
    barrier, results, lock = threading.Barrier(len(actions)), [], threading.Lock()

    def run(action) -> None:
        barrier.wait()
        result = action()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
