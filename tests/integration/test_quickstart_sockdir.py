"""The quick start's socket directory (tools/lib.sh ow_sockdir, doc/SECURITY.md
"Local files"): a checkout too deep for a unix socket path keeps its sockets in
a private directory under /tmp. Its name must not be predictable (another local
user could plant it first) and a remembered one is used again only while it is
still a real directory of ours with mode 0700.

The function is the one tools/quickstart calls, run by bash exactly as the
quick start sources it."""

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from lib import harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)

LIB = harness.REPO / "tools" / "lib.sh"


def sockdir(state, create=False):
    cmd = '. "$1"; ow_sockdir "$2" %s' % ("create" if create else "")
    out = subprocess.run(["bash", "-c", cmd, "bash", str(LIB), str(state)],
                         capture_output=True, text=True, timeout=30, check=False)
    expect(out.returncode == 0, "ow_sockdir failed: %s" % out.stderr.strip())
    return out.stdout.strip()


class DeepState:
    """A state directory whose path is too long for sockets, and every
    directory the function made for it, removed afterwards."""

    def __enter__(self):
        self.top = Path(tempfile.mkdtemp(prefix="ow-deep-"))
        self.state = self.top / ("d" * 90) / "state"
        self.state.mkdir(parents=True)
        self.made = []
        return self

    def make(self):
        d = sockdir(self.state, create=True)
        self.made.append(d)
        return d

    def __exit__(self, *exc):
        for d in self.made:
            p = Path(d)
            if p.is_symlink():
                p.unlink()
            elif p.is_dir() and str(p).startswith("/tmp/overwatch."):
                shutil.rmtree(p, ignore_errors=True)
        shutil.rmtree(self.top, ignore_errors=True)


def test_short_checkout_keeps_sockets_in_state(fe):
    with tempfile.TemporaryDirectory(prefix="ow-short-") as d:
        expect(sockdir(d, create=True) == d, "a short state dir is not used as it is")


def test_deep_checkout_gets_a_private_unpredictable_directory(fe):
    with DeepState() as s:
        expect(sockdir(s.state) == "", "a directory was named before one was made")
        d1 = s.make()
        st = os.lstat(d1)
        expect(d1.startswith("/tmp/overwatch.") and len(d1) > len("/tmp/overwatch.") + 8,
               "not a mktemp name: %r" % d1)
        expect(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700,
               "mode %o, expected a 0700 directory" % st.st_mode)
        expect(st.st_uid == os.getuid(), "not owned by the caller")
        expect(sockdir(s.state) == d1 and s.make() == d1, "the remembered directory is not reused")
        with DeepState() as other:
            expect(other.make() != d1, "two checkouts share a socket directory")


def test_swapped_or_opened_directory_is_not_reused(fe):
    with DeepState() as s:
        d1 = s.make()
        # Opened to others: refused, a new one is made.
        os.chmod(d1, 0o777)
        d2 = s.make()
        expect(d2 != d1, "a world-writable remembered directory was reused")
        # Replaced by a symlink to a directory of the attacker's choosing.
        target = tempfile.mkdtemp(prefix="ow-planted-")
        try:
            os.chmod(target, 0o700)
            shutil.rmtree(d2)
            os.symlink(target, d2)
            d3 = s.make()
            expect(d3 not in (d2, target), "a symlinked remembered directory was followed")
        finally:
            shutil.rmtree(target, ignore_errors=True)
        # A recorded path outside /tmp/overwatch.* (an edited state file).
        (s.state / "sockdir").write_text("/etc\n")
        expect(s.make() not in ("/etc", ""), "a recorded path outside /tmp was used")
        # Another owner (only root can stage that).
        if os.getuid() == 0:
            d4 = s.make()
            os.chown(d4, 65534, 65534)
            expect(s.make() != d4, "a directory owned by another user was reused")


def test_predictable_name_of_old_releases_is_never_used(fe):
    """Old releases used /tmp/overwatch-<md5 of the state path>: planting that
    name (here as a symlink) must change nothing."""
    import hashlib
    with DeepState() as s:
        old = "/tmp/overwatch-" + hashlib.md5(str(s.state).encode()).hexdigest()[:12]
        planted = tempfile.mkdtemp(prefix="ow-planted-")
        try:
            if not os.path.lexists(old):
                os.symlink(planted, old)
            d = s.make()
            expect(d != old and not d.startswith("/tmp/overwatch-"), "the predictable name was used")
        finally:
            if os.path.islink(old):
                os.unlink(old)
            shutil.rmtree(planted, ignore_errors=True)
