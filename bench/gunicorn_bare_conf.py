"""The production gunicorn settings (``config/gunicorn.conf.py``) for the bare ceiling app.

Every setting is the production file's own (workers, threads, worker class, keep-alive,
preloading, logging); only the hooks that reach into the provider's app (its database engines,
its metrics) are left out, since the bare app has neither.
"""

from __future__ import annotations

from pathlib import Path

_PRODUCTION = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"
exec(compile(_PRODUCTION.read_text("utf-8"), str(_PRODUCTION), "exec"))  # noqa: S102

for _hook in ("on_starting", "post_fork", "child_exit", "worker_exit", "when_ready"):
    globals().pop(_hook, None)
proc_name = "idp-bench-bare"
