from django.conf import settings
from django.core.management.base import BaseCommand

from regie.core import demo


class Command(BaseCommand):
    help = "Load the demo data (four municipalities, the provider, a user per role) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--calls", type=int, default=300)
        parser.add_argument(
            "--password", default=None, help="Demo users' password (default: REGIE_DEMO_PASSWORD or generated)"
        )

    def handle(self, *args, seed, calls, password, **options):
        if demo.demo_exists():
            self.stdout.write("Demo data already present; nothing loaded.")
            return
        password = password or demo_password()
        demo.build_demo(password, seed=seed, calls=calls)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (seed {seed})."))


def demo_password():
    """REGIE_DEMO_PASSWORD, else one generated once and kept in the data dir."""
    import os
    import secrets

    configured = os.environ.get("REGIE_DEMO_PASSWORD")
    if configured:
        return configured
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        path.write_text("demo-" + secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()
