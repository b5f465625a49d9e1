"""``o2c demo``: the main job on the embedded defaults.

Starts the sandbox ERP and the mail rig, loads the demo scenario (its remittances are
sent over SMTP into the AR mailbox), runs cash application against them (IMAP in,
decisions, postings through the ERP's web UI, review items), prints a summary and the
URLs of the review queue and the ERP, and keeps both up until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fixtures.demo_data import generate_scenario

console = Console()


def _demo_users(engine: object) -> None:
    """The sample users (alice: handler, carol: approver, ...) unless they exist."""
    from fixtures.review_sample import SAMPLE_USERS, seed_users
    from shared.store import read_transaction
    from shared.store.review_users import list_users

    with read_transaction(engine) as session:  # type: ignore[arg-type]
        known = {u.username for u in list_users(session)}
    seed_users(engine, tuple(u for u in SAMPLE_USERS if u[0] not in known))  # type: ignore[arg-type]


def _serve_review_queue(engine: object, port: int) -> str:
    import uvicorn

    from fixtures.mail_rig.net import free_port
    from shared.review.web import create_review_app

    port = port or free_port()  # 0: any free port
    _demo_users(engine)
    review_app = create_review_app(engine)  # type: ignore[arg-type]
    config = uvicorn.Config(review_app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{port}/"


def run_demo(
    workdir: Annotated[Path, typer.Option(help="Folder for the demo's data and databases.")] = Path(
        "var/demo"),
    serve: Annotated[bool, typer.Option(
        help="Keep the ERP and the review queue up until Ctrl-C (--no-serve: exit).")] = True,
    review_port: Annotated[int, typer.Option(
        help="Port of the review-queue pages (0: any free port).")] = 8070,
    write_data: Annotated[Path | None, typer.Option(
        help="Only write the demo scenario folder here, and exit.")] = None,
) -> None:
    """Run the demo: sandbox ERP + mail rig + demo data + a cash-application run."""
    if write_data is not None:
        generate_scenario(write_data)
        console.print(f"demo scenario written to {write_data}")
        return

    from fixtures.demo_env import DemoWorld
    from shared.store import make_engine

    workdir = workdir.resolve()
    with DemoWorld(workdir) as world:
        assert world.erp is not None and world.mail is not None
        console.print(f"[bold]sandbox ERP[/] {world.erp.url}  (user {world.erp.user})")
        console.print(f"[bold]mail rig[/] IMAP 127.0.0.1:{world.mail.port}, "
                      f"mailbox {world.mail.user}")
        # The flow reads its settings the way a scheduled run on a worker does.
        os.environ.update(world.settings_env(workdir))
        os.environ.update({"PREFECT_HOME": str(workdir / "prefect"),
                           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
        store_url = os.environ["O2C_STORE__URL"]
        (workdir / "prefect").mkdir(exist_ok=True)
        from flows.cash_application import cash_application

        console.print("running the cash-application flow (Prefect, no server needed) ...")
        result = cash_application()
        engine = make_engine(store_url)
        erp = world.erp

        table = Table(title="Cash-application run", show_header=False)
        for name, value in result["counts"].items():
            table.add_row(name, str(value))
        table.add_row("remittance requests written to", str(workdir / "sent-mail"))
        console.print(table)
        console.print("The run's summary and per-payment table are Prefect artifacts "
                      "(key cash-application).")

        review_url = _serve_review_queue(engine, review_port)
        console.print(f"[bold]review queue[/] {review_url}  (sign in as alice / "
                      "alice-review-1, approver carol / carol-approve-3)")
        console.print(f"[bold]ERP payments[/] {erp.url}/payments")
        if serve:
            console.print("Serving until Ctrl-C ...")
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
