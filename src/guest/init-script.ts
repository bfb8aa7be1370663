// The guest's /init: a busybox shell script that mounts the pseudo file systems, says it is
// ready, then follows the harness's commands over the serial console.
//
// Protocol (one line each way; the console also carries the kernel's own messages):
//   guest → host  `VRAS:READY uptime=<s>`            once, when commands are accepted
//   host → guest  `@<id> <shell command>`             run with `eval` in the init shell
//   guest → host  `VRAS:DONE <id> <exit status>`      after the command returns
// Echo is switched off so the host never reads its own commands back.

export const READY_MARK = 'VRAS:READY';
export const DONE_MARK = 'VRAS:DONE';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
stty -echo -onlcr 2>/dev/null
echo "${READY_MARK} uptime=$(cut -d' ' -f1 /proc/uptime)"
while IFS= read -r line; do
  case "$line" in
    @*)
      id="\${line%% *}"
      cmd="\${line#* }"
      eval "$cmd"
      echo "${DONE_MARK} \${id#@} $?"
      ;;
  esac
done
poweroff -f
`;
