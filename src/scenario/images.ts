// `images:` — what a container image does on the network, for `docker run` steps.
//
//   images:
//     postgres: { serve: [tcp-echo-peer/5432] }           # its process serves TCP 5432
//     dns:      { serve: [udp-echo-peer/53], expose: [53/udp] }
//
// `serve` entries are SERVER_KIND/PORT; the servers start in the container's namespace when the
// container starts (src/docker/engine.ts `setWorldImages`). `expose` is the image's EXPOSE list for
// `docker run -P`; without it, every served port is exposed (tcp for tcp-*, udp for udp-* and
// dns-server).

import { type Codec, INVALID, isPlainObject } from './codec.js';
import { SERVER_KINDS } from './types.js';

export interface ImageDef {
  readonly serve: readonly string[];
  readonly expose?: readonly string[];
}

const IMAGE_NAME = /^[a-z0-9][a-z0-9._/:-]*$/;
const SERVE = new RegExp(`^(${SERVER_KINDS.join('|')})/(\\d{1,5})$`);
const EXPOSE = /^\d{1,5}(\/(tcp|udp|sctp))?$/;

export const imagesCodec: Codec<Readonly<Record<string, ImageDef>>> = {
  expected: 'a mapping of image names to {serve, expose}',
  decode(raw, path, ctx) {
    if (!isPlainObject(raw)) return ctx.issue(path, 'expected a mapping of image names to {serve, expose}');
    const out: Record<string, ImageDef> = {};
    for (const [name, v] of Object.entries(raw)) {
      if (!IMAGE_NAME.test(name)) {
        ctx.issue(
          [...path, name],
          `expected an image name like nginx or library/redis:7, got "${name}"`,
          true,
        );
        continue;
      }
      const def = v ?? {};
      if (!isPlainObject(def)) {
        ctx.issue([...path, name], 'expected {serve: [KIND/PORT…], expose: [PORT/PROTO…]}');
        continue;
      }
      const serve: string[] = [];
      const expose: string[] = [];
      let ok = true;
      for (const [k, val] of Object.entries(def)) {
        if (k !== 'serve' && k !== 'expose') {
          ctx.issue([...path, name, k], `unknown key "${k}" (expected serve, expose)`, true);
          ok = false;
          continue;
        }
        const items = Array.isArray(val) ? val : [val];
        items.forEach((it, i) => {
          const t = typeof it === 'number' ? String(it) : it;
          const re = k === 'serve' ? SERVE : EXPOSE;
          if (typeof t !== 'string' || !re.test(t)) {
            ctx.issue(
              [...path, name, k, i],
              k === 'serve'
                ? `expected KIND/PORT with KIND one of ${SERVER_KINDS.join(', ')}`
                : 'expected PORT or PORT/PROTO',
              true,
            );
            ok = false;
          } else (k === 'serve' ? serve : expose).push(t);
        });
      }
      if (ok) out[name] = 'expose' in def ? { serve, expose } : { serve };
    }
    return out;
  },
  encode: (v) => ({ ...v }),
  jsonSchema: () => ({
    type: 'object',
    description: 'container images: the servers their process starts, and the ports they expose',
    additionalProperties: {
      type: 'object',
      properties: {
        serve: { type: 'array', items: { type: 'string', pattern: SERVE.source } },
        expose: { type: 'array', items: { type: 'string', pattern: EXPOSE.source } },
      },
      additionalProperties: false,
    },
  }),
};

/** The image's EXPOSE list as the docker engine wants it (`80/tcp`). */
export function exposedPorts(def: ImageDef): string[] {
  if (def.expose !== undefined) return def.expose.map((e) => (e.includes('/') ? e : `${e}/tcp`));
  return def.serve.map((s) => {
    const [kind, port] = s.split('/') as [string, string];
    return `${port}/${kind.startsWith('udp') || kind === 'dns-server' ? 'udp' : 'tcp'}`;
  });
}
