"""GnuPG signatures of commits and annotated tags, checked against given public keys.

A keyring is made for each distinct set of ASCII-armoured public keys (a private GNUPGHOME,
mode 0700, named by the digest of the keys, so one set is imported once and never mixed
with another); `git verify-commit --raw` (or `verify-tag` for an annotated tag, which is
what Argo CD verifies for tags) reports GnuPG's status lines, which `parse_status` reads.
Every imported key is trusted, as in Argo CD. A good signature therefore means "signed by
one of the given keys"; the policy package decides which key IDs a project allows. Called
by `repositories` for the controller (AppProject `signatureKeys` / `sourceIntegrity`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gitferry.model import errors
from gitferry.source.git import Git
from gitferry.source.mirror import Mirror


class SignatureStatus(StrEnum):
    GOOD = "good"
    BAD = "bad"  # the signature does not match the content
    EXPIRED = "expired"  # the signature or the key has expired
    REVOKED = "revoked"  # the key was revoked
    UNKNOWN_KEY = "unknown key"  # signed, but by none of the given keys
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Signature:
    """The outcome of verifying one commit or tag."""

    status: SignatureStatus
    key_id: str = ""  # long (16 hex) key ID of the signing key, as gpg prints it
    fingerprint: str = ""  # when the key is known
    signer: str = ""  # the key's user ID, when the key is known

    @property
    def good(self) -> bool:
        return self.status is SignatureStatus.GOOD


_OUTCOME = {
    "GOODSIG": SignatureStatus.GOOD,
    "BADSIG": SignatureStatus.BAD,
    "EXPSIG": SignatureStatus.EXPIRED,
    "EXPKEYSIG": SignatureStatus.EXPIRED,
    "REVKEYSIG": SignatureStatus.REVOKED,
}


def parse_status(output: str) -> Signature:
    """A Signature from GnuPG `--status-fd` lines (`[GNUPG:] GOODSIG <keyid> <uid>` ...)."""
    status, key_id, fingerprint, signer = SignatureStatus.UNSIGNED, "", "", ""
    for line in output.splitlines():
        if not line.startswith("[GNUPG:] "):
            continue
        keyword, _, rest = line[len("[GNUPG:] ") :].partition(" ")
        if keyword in _OUTCOME:
            status = _OUTCOME[keyword]
            key_id, _, signer = rest.partition(" ")
        elif keyword == "ERRSIG":
            fields = rest.split(" ")
            key_id = fields[0]
            # Return code 9 is "no public key"; anything else means it cannot be checked.
            code = fields[5] if len(fields) > 5 else ""
            status = SignatureStatus.UNKNOWN_KEY if code == "9" else SignatureStatus.BAD
        elif keyword == "NO_PUBKEY":
            status, key_id = SignatureStatus.UNKNOWN_KEY, rest.strip()
        elif keyword == "VALIDSIG":
            fingerprint = rest.split(" ")[0]
    return Signature(status, key_id.upper(), fingerprint.upper(), signer)


class Keyrings:
    """GNUPGHOMEs under `root`, one per distinct set of public keys."""

    def __init__(self, git: Git, root: Path) -> None:
        self.git = git
        self.root = root
        self._making: dict[str, asyncio.Task[Path]] = {}

    async def home(self, keys: Sequence[str]) -> Path:
        material = "\n".join(sorted(k.strip() for k in keys if k.strip()))
        digest = hashlib.sha256(material.encode()).hexdigest()[:24]
        home = self.root / digest
        if home.is_dir():
            return home
        task = self._making.get(digest)
        if task is None:
            task = asyncio.create_task(self._make(home, material))
            self._making[digest] = task
            task.add_done_callback(lambda _: self._making.pop(digest, None))
        return await asyncio.shield(task)

    async def _make(self, home: Path, material: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = Path(tempfile.mkdtemp(dir=self.root, prefix=".gnupg."))
        os.chmod(temporary, 0o700)
        if material:
            result = await self.git.run(
                ["--batch", "--quiet", "--no-autostart", "--import"],
                subject="signature keys",
                env={"GNUPGHOME": str(temporary)},
                stdin=material.encode(),
                program="gpg",
            )
            if not result.ok:
                shutil.rmtree(temporary, ignore_errors=True)
                raise errors.SignatureError(
                    f"signature keys: cannot import the public keys ({result.reason()}); "
                    "give ASCII-armoured public keys (gpg --armor --export KEYID)"
                )
        try:
            temporary.rename(home)
        except OSError:  # made meanwhile by another process
            shutil.rmtree(temporary, ignore_errors=True)
        return home


async def verify(mirror: Mirror, oid: str, home: Path) -> Signature:
    """Verify the signature of the commit or annotated tag `oid` with the keyring `home`."""
    kind = await mirror.object_type(oid)
    if kind not in ("commit", "tag"):
        raise errors.RevisionNotFoundError(
            f"{mirror.subject}: {oid[:12]} is not a commit or tag of this repository"
        )
    result = await mirror.git.run(
        [f"verify-{kind}", "--raw", oid],
        subject=mirror.subject,
        cwd=mirror.path,
        env={"GNUPGHOME": str(home)},
    )
    return parse_status(result.stderr)
