"""`python -m bridge …` (also `chatkit-bridge …`): serve the bridge."""

from __future__ import annotations

import argparse
import logging
import sys


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .auth import AuthSettings, InsecureBind, check_bind
    from .settings import Settings

    try:
        settings = Settings.from_env()
        warning = check_bind(AuthSettings.from_env(), args.host, args.insecure_no_auth)
    except (ValueError, InsecureBind) as exc:
        print(f"chatkit-bridge: {exc}", file=sys.stderr)
        return 2
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    model = "OpenAI " + settings.model if settings.uses_openai else "the offline model"
    print(
        f"chatkit-bridge: ChatKit endpoint http://{args.host}:{args.port}{settings.path}"
        f" ({settings.database_url}, {model})",
        file=sys.stderr,
    )
    uvicorn.run(
        "bridge.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_level=args.log_level,
        timeout_graceful_shutdown=10,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="chatkit-bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bridge")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a non-loopback bind with no auth configured (everyone is one user)",
    )
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.INFO))
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
