"""Checks deploy/ against the real relay, since no container engine or cluster runs here:

1. every Kubernetes manifest validates (strictly) against the Kubernetes 1.37 schemas;
2. the relay starts with exactly the environment the Dockerfile gives it (bind moved to
   loopback) and serves the app and /readyz — so the image's configuration names are real;
3. the backup CronJob's own script, run against a live relay (with /data and /backups mapped to
   temporary directories), writes a backup through the admin socket, verifies it and keeps the
   newest 14.

Usage: python deploy/check.py BIN_DIR WEB_DIST (run by deploy/check.sh).
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml
from dockerfile_parse import DockerfileParser

DEPLOY = pathlib.Path(__file__).resolve().parent
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def fail(message):
    sys.exit(f"deploy check failed: {message}")


def until(what, check, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def validate_manifests(validator):
    resources = [m for m in MANIFESTS if m.name != "kustomization.yaml"]
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    if listed != {m.name for m in resources}:
        fail(f"kustomization lists {sorted(listed)}, the folder has {[m.name for m in resources]}")
    subprocess.run([validator, "--strict", "--quiet", *map(str, resources)], check=True)


def dockerfile_env():
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    env = parser.envs  # the last stage's environment
    for name in ("LARDER_DATA", "LARDER_WEB_DIR", "LARDER_BIND"):
        if name not in env:
            fail(f"the Dockerfile's runtime stage does not set {name}")
    return env


class Relay:
    def __init__(self, bin_dir, env):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(bin_dir / "larder-server"), "serve"],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def address(self):
        # JSON logs (LARDER_LOG_FORMAT=json) carry the address as a field.
        match = re.search(r'"addr":"([0-9.:]+)"', self.output())
        return match and match.group(1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def check_image_environment(bin_dir, dist, root):
    env = dockerfile_env()
    data = root / "data"
    data.mkdir()
    env = {
        **env,
        "LARDER_DATA": str(data),
        "LARDER_WEB_DIR": str(dist),
        "LARDER_BIND": "127.0.0.1:0",
    }
    relay = Relay(bin_dir, env)
    try:
        addr = until("the relay to listen", relay.address)
        base = f"http://{addr}"
        until("/readyz", lambda: urllib.request.urlopen(f"{base}/readyz").status == 200)
        page = urllib.request.urlopen(f"{base}/").read().decode()
        if "<title>Larder</title>" not in page:
            fail("the relay did not serve the web app from LARDER_WEB_DIR")
        check_backup_job(bin_dir, data, root)
    finally:
        relay.stop()
    if not re.search(r'"level":"INFO"', relay.output()):
        fail("LARDER_LOG_FORMAT=json did not give JSON logs")


def check_backup_job(bin_dir, data, root):
    backup = yaml.safe_load((DEPLOY / "kubernetes" / "backup.yaml").read_text().split("---")[1])
    container = backup["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    script = container["args"][0]
    backups = root / "backups"
    backups.mkdir()
    # Fifteen older backups: after the job, the newest 14 files remain, the new one among them.
    for i in range(15):
        old = backups / f"larder-2026010{i % 10}T00000{i // 10}Z.tar.gz"
        old.write_bytes(b"old")
        stamp = time.time() - 3600 * (i + 1)
        os.utime(old, (stamp, stamp))
    script = script.replace("/data", str(data)).replace("/backups", str(backups))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(["/bin/sh", "-c", script], check=True, env=env)
    kept = sorted(p.name for p in backups.iterdir())
    if len(kept) != 14:
        fail(f"the backup job kept {len(kept)} files, not 14: {kept}")
    new = [p for p in backups.iterdir() if p.stat().st_size > 3]
    if len(new) != 1:
        fail(f"expected one new backup, found {[p.name for p in new]}")
    subprocess.run([str(bin_dir / "larder-server"), "backup", "--verify", str(new[0])], check=True)


def main():
    bin_dir, dist, validator = map(pathlib.Path, sys.argv[1:4])
    validate_manifests(str(validator))
    root = pathlib.Path(tempfile.mkdtemp(prefix="larder-deploy-"))
    try:
        check_image_environment(bin_dir, dist, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("deploy check: manifests valid; the image's environment serves; the backup job works")


if __name__ == "__main__":
    main()
