/** Where things are inside a sandbox. */

/** Where the sandbox's own tools appear inside it. */
export const TOOLS_DIR = '/opt/sandbox';

/** PATH of every command and service: the SSM agent's under systemd, then the sandbox's tools. */
export const SANDBOX_PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${TOOLS_DIR}/bin`;
