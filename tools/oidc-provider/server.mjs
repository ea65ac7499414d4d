// A loopback OpenID Provider for integration tests, built on panva's
// oidc-provider (OpenID Certified). Everything that issues, refreshes,
// introspects and revokes tokens is oidc-provider's own code; this file only
// configures it. Started by the Go helper internal/oidctest.
//
//   node server.mjs [--port N] [--exit-on-stdin-close] CONFIG.json
//
// The port comes from --port, else $PORT, else 0 (a free one is picked). The
// server listens on 127.0.0.1 only, with the issuer http://127.0.0.1:PORT, and
// when it is ready prints exactly one line on stdout:
//
//   {"issuer":"http://127.0.0.1:PORT","port":PORT}
//
// Nothing else is ever written to stdout. Errors go to stderr; oidc-provider's
// configuration notices are dropped unless OIDCTEST_VERBOSE=1.
//
// CONFIG.json:
//   {
//     "clients": [ ...client metadata as oidc-provider takes it... ],
//     "accessTokenFormat": "opaque" | "jwt",  // default "opaque"
//     "accessTokenTTL": 3600,                 // seconds, default 3600
//     "refreshTokenTTL": 86400,               // seconds, default 86400
//     "scopes": ["read", "write"]             // more scope names, see below
//   }
//
// Clients that leave them out get these defaults: grant_types
// [client_credentials, refresh_token, urn:openid:params:grant-type:ciba],
// response_types [], backchannel_token_delivery_mode "poll",
// token_endpoint_auth_method "client_secret_basic". private_key_jwt clients
// give their public keys inline as "jwks": {"keys": [...]}.
//
// Resource indicators (RFC 8707): any absolute https URI without a fragment is
// a resource server that accepts every scope the client asks for; its
// access tokens have aud = the resource and are opaque by default, because
// oidc-provider only introspects and revokes opaque tokens.
//
// Scopes: without a resource, oidc-provider keeps only the scopes it knows
// (openid, offline_access and the config's "scopes") and silently drops the
// rest; with a resource, the resource server takes any scope.
//
// Refresh tokens: client_credentials never yields one in oidc-provider, so a
// non-interactive client gets one with the OpenID CIBA poll flow
// (POST /backchannel, then grant_type=urn:openid:params:grant-type:ciba at
// the token endpoint). The "authentication device" is simulated: any
// login_hint is an end-user with that subject, who approves at once, unless
// the hint starts with "deny", then the request is denied (access_denied).
// A refresh token is issued when the scope has offline_access.
//
// Runtime: oidc-provider 9 states Node.js 22 LTS or later as supported and
// warns "Unsupported runtime" on Node.js 20 (shown with OIDCTEST_VERBOSE=1);
// it runs on 20.19+ (it needs URL.parse), where internal/oidctest's tests
// pass. State is in memory (oidc-provider's development adapter) and is gone
// when the process exits; http issuers need no NODE_ENV or other setting.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';
import { parseArgs } from 'node:util';

const verbose = process.env.OIDCTEST_VERBOSE === '1';

// oidc-provider prints its configuration notices with console.info (stdout)
// and console.warn. stdout carries only the ready line, so send everything to
// stderr, and only when asked to.
for (const level of ['log', 'info', 'warn', 'debug']) {
  console[level] = verbose
    ? (...args) => process.stderr.write(`${args.join(' ')}\n`)
    : () => {};
}

function fail(message) {
  process.stderr.write(`oidc-provider test server: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
    },
  });
} catch (err) {
  fail(err.message);
}
if (args.positionals.length !== 1) {
  fail('usage: node server.mjs [--port N] [--exit-on-stdin-close] CONFIG.json');
}

const portText = args.values.port ?? process.env.PORT ?? '0';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`invalid port ${JSON.stringify(portText)}`);
}

let config;
try {
  config = JSON.parse(readFileSync(args.positionals[0], 'utf8'));
} catch (err) {
  fail(`reading config ${args.positionals[0]}: ${err.message}`);
}
if (config === null || typeof config !== 'object' || !Array.isArray(config.clients ?? [])) {
  fail('config must be a JSON object whose "clients" is an array');
}
const accessTokenFormat = config.accessTokenFormat ?? 'opaque';
if (!['opaque', 'jwt'].includes(accessTokenFormat)) {
  fail('accessTokenFormat must be "opaque" or "jwt"');
}
const accessTokenTTL = config.accessTokenTTL ?? 3600;
const refreshTokenTTL = config.refreshTokenTTL ?? 86400;
const scopes = ['openid', 'offline_access', ...(config.scopes ?? [])];
if (!scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) {
  fail('scopes must be an array of scope tokens (RFC 6749 section 3.3)');
}
const staticScopes = new Set(scopes);

if (args.values['exit-on-stdin-close']) {
  // The parent holds our stdin open; when it dies, so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

// The Provider is created only once the port is known, because the port is
// part of the issuer. It is loaded lazily so a broken install is reported as
// such rather than as a stack trace.
let Provider;
let errors;
try {
  ({ default: Provider, errors } = await import('oidc-provider'));
} catch (err) {
  fail(`cannot load oidc-provider (run npm ci in ${import.meta.dirname}): ${err.message}`);
}

const server = createServer();
server.on('error', (err) => fail(`listen: ${err.message}`));
await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
const actualPort = server.address().port;
const issuer = `http://127.0.0.1:${actualPort}`;

// A fresh signing key each run: no development keystore, no warning about it.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
};

const configuration = {
  clients: config.clients ?? [],
  clientDefaults: {
    grant_types: ['client_credentials', 'refresh_token', 'urn:openid:params:grant-type:ciba'],
    response_types: [],
    backchannel_token_delivery_mode: 'poll',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  },
  scopes: [...staticScopes],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // Every end-user exists; its subject is its account id.
  async findAccount(_ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  enabledJWA: {
    // All that oidc-provider knows, so the client under test picks the alg.
    clientAuthSigningAlgValues: [
      'HS256', 'HS384', 'HS512',
      'RS256', 'RS384', 'RS512',
      'PS256', 'PS384', 'PS512',
      'ES256', 'ES384', 'ES512',
      'Ed25519', 'EdDSA',
    ],
  },
  ttl: {
    AccessToken: accessTokenTTL,
    ClientCredentials: accessTokenTTL,
    RefreshToken: refreshTokenTTL,
    BackchannelAuthenticationRequest: 600,
    Grant: refreshTokenTTL,
    IdToken: 3600,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // Any authenticated client may introspect any token (the default also
      // lets public clients introspect only their own).
      async allowedPolicy(ctx, client, token) {
        return client.clientAuthMethod !== 'none' || token.clientId === client.clientId;
      },
    },
    revocation: {
      enabled: true,
      async allowedPolicy(ctx, client, token) {
        if (token.clientId !== client.clientId) {
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    resourceIndicators: {
      enabled: true,
      async defaultResource(_ctx, _client, oneOf) { return oneOf; },
      async useGrantedResource() { return true; },
      async getResourceServerInfo(ctx, resourceIndicator) {
        let url;
        try {
          url = new URL(resourceIndicator);
        } catch {
          throw new errors.InvalidTarget();
        }
        if (url.protocol !== 'https:') {
          throw new errors.InvalidTarget('resource must be an absolute https URI');
        }
        return {
          // Whatever the client asks for at this request, and (on a later
          // refresh) whatever the grant holds: a permissive resource server.
          scope: [...new Set([
            ...(ctx.oidc.params?.scope?.split(' ') ?? []),
            ...(ctx.oidc.entities?.Grant?.resources?.[resourceIndicator]?.split(' ') ?? []),
          ])].filter(Boolean).join(' '),
          audience: resourceIndicator,
          accessTokenTTL,
          accessTokenFormat,
          ...(accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
        };
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      async processLoginHint(_ctx, loginHint) { return loginHint; },
      async processLoginHintToken() {
        throw new errors.InvalidRequest('login_hint_token is not supported by this test server, use login_hint');
      },
      async verifyUserCode() {},
      async validateRequestContext() {},
      async validateBindingMessage() {},
      async triggerAuthenticationDevice(ctx, request, account) {
        if (account.accountId.startsWith('deny')) {
          await provider.backchannelResult(request, new errors.AccessDenied('end-user denied the request'));
          return;
        }
        const grant = new provider.Grant({ clientId: request.clientId, accountId: account.accountId });
        // The end-user grants everything asked for: the known scopes, and
        // every other scope for each requested resource.
        const requested = request.scope ? request.scope.split(' ') : [];
        grant.addOIDCScope(requested.filter((s) => staticScopes.has(s)).join(' '));
        const resources = request.resource === undefined ? [] : [request.resource].flat();
        for (const resource of resources) {
          grant.addResourceScope(resource, requested.filter((s) => s !== 'openid' && s !== 'offline_access').join(' '));
        }
        await grant.save();
        await provider.backchannelResult(request, grant);
      },
    },
  },
};

let provider;
try {
  provider = new Provider(issuer, configuration);
} catch (err) {
  fail(`configuration: ${err.error ?? ''} ${err.error_description ?? err.message}`);
}

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`server_error ${ctx.method} ${ctx.path}: ${err.stack ?? err}\n`);
});
if (verbose) {
  for (const event of ['grant.error', 'introspection.error', 'revocation.error', 'backchannel_authentication.error']) {
    provider.on(event, (_ctx, err) => process.stderr.write(`${event}: ${err.error ?? ''} ${err.error_description ?? err.message}\n`));
  }
}

// Validate the client metadata now, so a bad client fails the start.
for (const { client_id: id } of config.clients ?? []) {
  try {
    // eslint-disable-next-line no-await-in-loop
    await provider.Client.find(id);
  } catch (err) {
    fail(`client ${JSON.stringify(id)}: ${err.error ?? ''} ${err.error_description ?? err.message}`);
  }
}

server.on('request', provider.callback());

function shutdown() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

process.stdout.write(`${JSON.stringify({ issuer, port: actualPort })}\n`);
