"""`koyalite functions new NAME | deploy [NAME] | list`."""

from __future__ import annotations

from koyalite.commands import KoyaCommand


class Command(KoyaCommand):
    help = "Create, deploy and list the project's edge functions (functions/<name>/)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        new = commands.add_parser("new", help="scaffold functions/NAME/index.ts")
        new.add_argument("name")
        deploy = commands.add_parser(
            "deploy", help="type-check and bundle NAME (every function without one)"
        )
        deploy.add_argument("name", nargs="?")
        commands.add_parser("list", help="list the functions and their state")

    def handle(self, *args, action: str, **options):
        from edge_functions import config, services

        if action == "new":
            entry = services.create_function(options["name"])
            self.stdout.write(
                f"Created {entry}.\n"
                f"Serve it: koyalite serve, then POST /functions/v1/{options['name']}"
            )
        elif action == "deploy":
            names = [options["name"]] if options["name"] else config.function_names()
            if not names:
                self.stdout.write("No functions to deploy (functions/<name>/index.ts).")
            for name in names:
                deployment = services.deploy_function(name)
                if deployment.bundle_skipped:
                    bundled = f"not bundled ({deployment.bundle_skipped})"
                else:
                    bundled = (
                        f"bundled {deployment.bundle_bytes} bytes in "
                        f"{deployment.bundle_ms:.0f} ms"
                    )
                self.stdout.write(
                    f"Deployed {name}: checked in {deployment.check_ms:.0f} ms, "
                    + bundled
                )
        else:
            for summary in services.list_functions():
                deployed = (
                    summary.deployed_at.strftime("%Y-%m-%d %H:%M:%S")
                    if summary.deployed_at
                    else "never deployed"
                )
                jwt = "verify_jwt" if summary.verify_jwt else "no verify_jwt"
                line = f"{summary.name}\t{jwt}\t{deployed}\t{summary.invocations} calls"
                if summary.error:
                    line += f"\t{summary.error}"
                self.stdout.write(line)
