"""The `regie` command.

    regie serve     set up (migrate, static files, demo data) and run web + worker + beat
    regie worker    a Celery worker          regie beat    the Celery beat scheduler
    regie demo      load the demo data       regie <cmd>   any Django management command
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regie.settings")
    import django

    django.setup()


def manage(*args, **options):
    from django.core.management import call_command

    call_command(*args, **options)


def _static_stamp(settings):
    """A fingerprint of the static sources, so a second start skips collectstatic."""
    digest = hashlib.sha256()
    for entry in settings.STATICFILES_DIRS:
        root = Path(entry[1] if isinstance(entry, tuple) else entry)
        for path in sorted(root.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()


def setup(load_demo=True):
    _django()
    from django.conf import settings

    from regie.core.management.commands.demo import demo_password
    from regie.schedules import sync_schedules

    manage("migrate", "--noinput", verbosity=0)
    stamp_file = settings.DATA_DIR / "static.stamp"
    stamp = _static_stamp(settings)
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        print("Collecting static files…", flush=True)
        manage("collectstatic", "--noinput", verbosity=0)
        stamp_file.write_text(stamp)
    sync_schedules()
    if load_demo:
        from regie.core import demo

        if not demo.demo_exists():
            print("Loading demo data for the four municipalities…", flush=True)
            demo.build_demo(demo_password())
    return demo_password()


def print_banner(port, password):
    from regie.core.demo import MUNICIPALITIES, PARTICIPANT_PEOPLE, PROVIDER_PEOPLE

    lines = [
        "",
        f"  Regie is running at  http://localhost:{port}/",
        f"  API documentation:   http://localhost:{port}/api/v1/docs",
        f"  Health:              http://localhost:{port}/health/",
        "",
        f"  Demo logins (password for all: {password})",
        "    provider:      " + ", ".join(u for u, *_r in PROVIDER_PEOPLE) + ", leverancier, auditor",
    ]
    for name, *_rest in MUNICIPALITIES:
        slug = name.split()[-1].lower()
        lines.append(f"    {name + ':':<20} " + ", ".join(f"{slug}.{s}" for s, *_r in PARTICIPANT_PEOPLE))
    lines += ["", "  Press Ctrl-C to stop web server, worker and scheduler.", ""]
    print("\n".join(lines), flush=True)


def web_processes():
    """gunicorn (workers, threads) for `regie serve`: REGIE_WEB_WORKERS / REGIE_WEB_THREADS,
    by default 2 × cores + 1 processes (at most 9) of 2 threads. Django's request handling is
    CPU work under one lock per process, so on 2 cores five processes of two threads served
    the call list 15–20 % more requests per second than three of four (docs/performance.md,
    section 5); the second thread keeps a process busy while a request waits on the database."""
    workers = os.environ.get("REGIE_WEB_WORKERS") or str(min(2 * (os.cpu_count() or 1) + 1, 9))
    threads = os.environ.get("REGIE_WEB_THREADS") or "2"
    return workers, threads


def serve_defaults(environ):
    """What `regie serve` assumes unless told otherwise: demo mode, and links in e-mail and in
    the API description that point at the port it listens on. Returns the port."""
    port = environ.get("PORT", "8000")
    environ.setdefault("REGIE_DEMO_MODE", "1")
    environ.setdefault("REGIE_PUBLIC_URL", f"http://localhost:{port}")
    return port


def serve(argv):
    port = serve_defaults(os.environ)
    password = setup(load_demo=True)
    python = sys.executable
    workers, threads = web_processes()
    commands = {
        "web": [python, "-m", "gunicorn", "regie.wsgi:application", "--bind", f"0.0.0.0:{port}",
                "--workers", workers, "--threads", threads,
                "--access-logfile", "-", "--graceful-timeout", "10"],
        "worker": [python, "-m", "celery", "-A", "regie", "worker", "--loglevel", "INFO",
                   "--concurrency", os.environ.get("REGIE_WORKER_CONCURRENCY", "2"), "-n", "regie-worker@%h"],
        "beat": [python, "-m", "celery", "-A", "regie", "beat", "--loglevel", "INFO",
                 "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
    }
    # Our own fixed argv lists (no shell, no user input).
    children = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()}  # noqa: S603
    print_banner(port, password)
    stopping = {"flag": False}

    def stop(signum, frame):
        stopping["flag"] = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping["flag"]:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"regie: {name} stopped (exit {child.returncode}); stopping the others.", flush=True)
                stopping["flag"] = True
                exit_code = child.returncode or 1
        time.sleep(0.5)
    print("regie: stopping…", flush=True)
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.time() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return exit_code


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "serve":
        sys.exit(serve(argv[1:]))
    if command == "worker":
        celery = [sys.executable, "-m", "celery", "-A", "regie"]
        os.execv(sys.executable, [*celery, "worker", "--loglevel", "INFO", *argv[1:]])  # noqa: S606
    if command == "beat":
        celery = [sys.executable, "-m", "celery", "-A", "regie"]
        scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
        os.execv(sys.executable, [*celery, "beat", "--loglevel", "INFO", "--scheduler", scheduler, *argv[1:]])  # noqa: S606
    if command in ("help", "-h", "--help"):
        print(__doc__)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regie.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["regie", *argv])


if __name__ == "__main__":
    main()
