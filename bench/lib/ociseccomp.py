"""docker's seccomp profile format (as podman ships it in
/usr/share/containers/seccomp.json) into the OCI runtime config's
linux.seccomp, as docker converts it: the rules for this machine's
architecture and for the capabilities the container has.  Used by the
benches that give runc and crun the profile c-run applies by default."""
import json
import platform


def convert(profile, caps):
    """profile: the docker profile (a dict); caps: the container's bounding
    capability names.  Returns the OCI seccomp object."""
    m = platform.machine()
    arch = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}.get(m)
    goarch = {"x86_64": "amd64", "aarch64": "arm64"}.get(m)
    caps = set(caps)
    archs = [arch] + next((a.get("subArchitectures", []) for a in profile.get("archMap", [])
                           if a["architecture"] == arch), [])
    out = {"defaultAction": profile["defaultAction"], "architectures": archs, "syscalls": []}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for s in profile["syscalls"]:
        inc, exc = s.get("includes") or {}, s.get("excludes") or {}
        if inc.get("arches") and goarch not in inc["arches"]:
            continue
        if inc.get("caps") and not set(inc["caps"]) <= caps:
            continue
        if exc.get("arches") and goarch in exc["arches"]:
            continue
        if exc.get("caps") and set(exc["caps"]) & caps:
            continue
        r = {"names": s.get("names") or [s["name"]], "action": s["action"]}
        for k in ("args", "errnoRet"):
            if s.get(k):
                r[k] = s[k]
        out["syscalls"].append(r)
    return out


def apply(cfg, profile_path):
    """cfg (a runtime config) gets the profile at profile_path as its
    linux.seccomp; returns (syscall names, rules), for the benches' notes."""
    with open(profile_path) as f:
        out = convert(json.load(f), cfg["process"]["capabilities"]["bounding"])
    cfg["linux"]["seccomp"] = out
    return sum(len(r["names"]) for r in out["syscalls"]), len(out["syscalls"])
