# shellcheck shell=bash
# scripts/podman-private.bash — podman with all of its files under one
# directory of the caller's: configuration, image store, run state, temp
# files, network config; the machine's podman setup neither read nor
# written.  The podman tests (tests/helpers/podman.bash) and bench/podman.sh
# source it, so that both run podman alike.
#
# podman_private DIR [--runtime NAME PATH] [--conmon-env K=V]...
#   writes DIR/containers.conf, storage.conf and registries.conf, makes
#   DIR/root, run, tmp and networks, and exports CONTAINERS_CONF,
#   CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF.  --runtime makes
#   the OCI runtime at PATH, known as NAME, podman's default; conmon, which
#   podman starts with an environment of its own, gets PATH, TMPDIR and each
#   --conmon-env.
#
# podman_private_umount DIR
#   undoes every mount below DIR, deepest first: the bind mount podman's
#   overlay storage makes of its own directory, and any overlay left; for
#   the callers' clean-up before they remove DIR.
#
# The settings: the cgroupfs manager (no systemd here), no network but lo
# (netns "none"), no events log, file locks, the k8s-file log driver, images
# never pulled (the callers copy them in with skopeo or pull them
# themselves), and default ulimits nofile and nproc of 1024:1024: podman asks
# for more than this machine's hard limits otherwise, which no runtime may
# set without CAP_SYS_RESOURCE.
podman_private() {
	local d=$1 name='' path='' env=''
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--runtime) name=$2 path=$3 && shift 3 ;;
		--conmon-env) env+=", \"$2\"" && shift 2 ;;
		*) echo "podman_private: unknown argument $1" >&2 && return 2 ;;
		esac
	done
	mkdir -p "$d"/{root,run,tmp,networks}
	{
		cat <<-EOF
			[containers]
			default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
			log_driver = "k8s-file"
			netns = "none"

			[engine]
			cgroup_manager = "cgroupfs"
			conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=$d/tmp"$env]
			events_logger = "none"
			image_copy_tmp_dir = "$d/tmp"
			lock_type = "file"
			pull_policy = "never"
			tmp_dir = "$d/tmp"
		EOF
		if [ -n "$name" ]; then
			cat <<-EOF
				runtime = "$name"

				[engine.runtimes]
				$name = ["$path"]
			EOF
		fi
		cat <<-EOF

			[network]
			network_config_dir = "$d/networks"
		EOF
	} >"$d/containers.conf"
	cat >"$d/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$d/root"
		runroot = "$d/run"
	EOF
	echo 'unqualified-search-registries = []' >"$d/registries.conf"
	export CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$d/registries.conf
}

podman_private_umount() {
	local m
	awk -v d="${1%/}/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
