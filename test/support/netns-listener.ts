/**
 * A real HTTP listener on a test host of its own: a network namespace made for the test,
 * joined to this machine by a veth pair with TEST-NET-2 addresses (198.51.100.0/24, RFC 5737).
 * kube-apiserver refuses loopback addresses in an EndpointSlice, so a workload that a Service
 * proxy can reach needs an address that is not 127.0.0.1; this one exists only inside the
 * sandbox, and everything is removed by `close()`. Needs root (ip netns, veth), which the test
 * machines and CI have.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

/** One request the listener received. */
export interface NetnsRequest {
  method: string;
  url: string;
}

/** A listener in its own network namespace. */
export interface NetnsListener {
  /** The listener's address (inside the namespace), e.g. 198.51.100.2. */
  ip: string;
  port: number;
  requests: NetnsRequest[];
  close(): Promise<void>;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Why a namespace listener cannot be made here (not root, no `ip`), or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, veth)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `ip netns is not usable: ${r.stderr || r.error?.message}`;
}

/** Starts the namespace, the veth pair and a Node HTTP listener inside it. */
export async function startNetnsListener(): Promise<NetnsListener> {
  const id = randomBytes(3).toString('hex');
  const ns = `gl-test-${id}`;
  const hostIf = `glh${id}`;
  const nsIf = `gln${id}`;
  // A /30 per run out of TEST-NET-2, so parallel runs do not collide.
  const base = (parseInt(id, 16) % 63) * 4;
  const hostIp = `198.51.100.${base + 1}`;
  const nsIp = `198.51.100.${base + 2}`;
  let child: ChildProcess | undefined;
  const cleanup = () => {
    child?.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', hostIf]);
    spawnSync('ip', ['netns', 'del', ns]);
  };
  try {
    ip(['netns', 'add', ns]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', ns]);
    ip(['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const script = `
      const http = require('node:http');
      const s = http.createServer((req, res) => {
        process.stdout.write(JSON.stringify({ method: req.method, url: req.url }) + '\\n');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"reached":true}');
      });
      s.listen(0, ${JSON.stringify(nsIp)}, () => process.stdout.write(JSON.stringify({ port: s.address().port }) + '\\n'));
      process.stdin.on('end', () => process.exit(0));
      process.stdin.resume();`;
    child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const requests: NetnsRequest[] = [];
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the namespace listener did not start within 10 s')), 10_000);
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { port?: number } & NetnsRequest;
        if (msg.port) {
          clearTimeout(timer);
          resolve(msg.port);
        } else requests.push({ method: msg.method, url: msg.url });
      });
      child!.once('exit', (code) => reject(new Error(`the namespace listener exited (${code})`)));
    });
    return {
      ip: nsIp,
      port,
      requests,
      close: async () => {
        child?.stdin?.end();
        await new Promise<void>((resolve) => {
          if (!child || child.exitCode !== null) return resolve();
          const t = setTimeout(() => (child!.kill('SIGKILL'), resolve()), 3000);
          child.once('exit', () => (clearTimeout(t), resolve()));
        });
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
