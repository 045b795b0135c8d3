from __future__ import annotations

from django.core.management.base import BaseCommand

from demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo data (safe to run again: it updates, never duplicates). Never run it in production."

    def handle(self, *args, **options) -> None:
        users = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo loaded. Log in as:"))
        for demo in users:
            self.stdout.write(f"  {demo.username:<6} {demo.role.label:<12} password: {demo.password}")
