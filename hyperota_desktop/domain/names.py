"""Names of organisations, applications and Superposition workspaces, and the rules they obey.

Organisation and application names become Keycloak group names (keycloak.md): lowercase `a-z 0-9 . _ -`,
1-50 characters; inside an organisation the role subgroup names are reserved so an application cannot
shadow one. Workspace names are Superposition's `^[a-zA-Z0-9]{1,25}$`, generated, never typed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection

from hyperota_desktop.domain.errors import ValidationError

# Always `fullmatch`: `re.match` with `$` accepts a trailing "\n" (a group "..\n" broke `org list`).
NAME_RE = re.compile(r"[a-z0-9._-]{1,50}")
WORKSPACE_RE = re.compile(r"[a-zA-Z0-9]{1,25}")
ORG_ROLES = ("owner", "admin", "write", "read")
APP_ROLES = ("admin", "write", "read")
RESERVED_IN_ORG = frozenset(ORG_ROLES)
MAX_NAME = 50
MAX_WORKSPACE = 25
_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def name_problem(name: str, *, kind: str = "organisation") -> str | None:
    """Why `name` is not a valid organisation/application name (worded for a person), or None."""
    label = "An organisation" if kind == "organisation" else "An application"
    if not name:
        return f"{label} name is required."
    if len(name) > MAX_NAME:
        return f"{label} name has at most {MAX_NAME} characters (this one has {len(name)})."
    if not NAME_RE.fullmatch(name):
        bad = sorted({ch for ch in name if not re.fullmatch(r"[a-z0-9._-]", ch)})
        shown = ", ".join(_describe(ch) for ch in bad[:5])
        return (
            f"{label} name cannot contain {shown}: use lowercase letters, digits, '.', '_' and '-' "
            "(for example 'acme-corp')."
        )
    if name in (".", ".."):
        return f"{label} name cannot be '.' or '..'."
    if kind == "application" and name in RESERVED_IN_ORG:
        return f"'{name}' is reserved inside an organisation (role groups: {', '.join(ORG_ROLES)})."
    return None


def _describe(ch: str) -> str:
    """A refused character as a person reads it: the space is the usual culprit and invisible."""
    if ch == " ":
        return "a space"
    if ch in "\r\n":
        return f"a line break {ch!r}"
    if ch.isspace():
        return f"a blank {ch!r}"
    if ch.isupper():
        return f"uppercase {ch!r}"
    return repr(ch)


def validate_org_name(name: str) -> str:
    problem = name_problem(name, kind="organisation")
    if problem:
        raise ValidationError(problem)
    return name


def validate_app_name(name: str) -> str:
    problem = name_problem(name, kind="application")
    if problem:
        raise ValidationError(problem)
    return name


def workspace_name(
    org: str, app: str, taken: Collection[str] = (), *, random: Callable[[int], str] | None = None
) -> str:
    """A fresh workspace name for (org, app): readable stem + random suffix, unique among `taken`.

    The suffix makes names unique across deletions too (a re-created app never reuses a disabled
    workspace, which Superposition cannot delete).
    """
    pick = random or _random_suffix
    stem = re.sub(r"[^a-zA-Z0-9]", "", f"{org}{app.capitalize()}")[:17] or "app"
    lowered = {t.lower() for t in taken}
    for _ in range(1000):
        candidate = f"{stem}{pick(8)}"[:MAX_WORKSPACE]
        if WORKSPACE_RE.fullmatch(candidate) and candidate.lower() not in lowered:
            return candidate
    raise ValidationError("Could not find a free Superposition workspace name.")


def _random_suffix(length: int) -> str:
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(length))
