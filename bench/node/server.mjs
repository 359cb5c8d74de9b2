// The reference OpenID provider of the benchmarks: panva's oidc-provider (certified by the
// OpenID Foundation), configured for the same work as clicSÉQUR, on loopback only.
//
//   node bench/node/server.mjs   (started by `python -m bench`; settings in the environment)
//
// - one Node process per worker (node:cluster), as many as the provider's gunicorn workers;
// - storage in Redis (ioredis), shared by the workers, like the provider's database: grants,
//   authorization codes, refresh tokens, sessions and interactions;
// - access tokens are JWTs (RFC 9068) signed RS256, or ES256 for the client `bench-es256`,
//   through the resource indicators feature (the access token format of a resource server);
// - client_credentials and refresh_token grants; refresh tokens rotate at every use;
// - no login page: /bench-interaction/:uid signs the benchmark account in and grants what is
//   asked (the benchmark measures the refresh grant, not this provider's pages).
//
// Environment: BENCH_PORT, BENCH_ISSUER, BENCH_REDIS_URL, BENCH_WORKERS, BENCH_CLIENTS (JSON:
// client_id -> secret).

import cluster from 'node:cluster';
import crypto from 'node:crypto';
import http from 'node:http';

import Redis from 'ioredis';
import Provider from 'oidc-provider';

const PORT = Number(process.env.BENCH_PORT || 8300);
const ISSUER = process.env.BENCH_ISSUER || `http://127.0.0.1:${PORT}`;
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/9';
const WORKERS = Number(process.env.BENCH_WORKERS || 2);
const RESOURCE = 'urn:bench:api';
const CALLBACK = 'http://127.0.0.1:9/callback';

// -- storage --------------------------------------------------------------------------------

const redis = cluster.isPrimary ? null : new Redis(REDIS_URL, { keyPrefix: 'bench-op:' });
// Models whose entries belong to a grant (revoked together) and that are used once.
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

class RedisStorage {
  constructor(name) {
    this.name = name;
  }

  key(id) {
    return `${this.name}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const multi = redis.multi();
    if (SINGLE_USE.has(this.name)) {
      multi.del(key);
      multi.hset(key, 'payload', JSON.stringify(payload));
    } else {
      multi.set(key, JSON.stringify(payload));
    }
    if (expiresIn) multi.expire(key, expiresIn);
    if (GRANT_BOUND.has(this.name) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      multi.rpush(grantKey, key);
      if (expiresIn) multi.expire(grantKey, expiresIn, 'GT');
    }
    if (payload.uid) {
      multi.set(`uid:${payload.uid}`, id);
      if (expiresIn) multi.expire(`uid:${payload.uid}`, expiresIn);
    }
    if (payload.userCode) {
      multi.set(`userCode:${payload.userCode}`, id);
      if (expiresIn) multi.expire(`userCode:${payload.userCode}`, expiresIn);
    }
    await multi.exec();
  }

  async find(id) {
    if (!id) return undefined;
    if (SINGLE_USE.has(this.name)) {
      const data = await redis.hgetall(this.key(id));
      if (!data || !data.payload) return undefined;
      const { payload, ...rest } = data;
      const found = JSON.parse(payload);
      if (rest.consumed) found.consumed = Number(rest.consumed);
      return found;
    }
    const data = await redis.get(this.key(id));
    return data ? JSON.parse(data) : undefined;
  }

  async findByUid(uid) {
    return this.find(await redis.get(`uid:${uid}`));
  }

  async findByUserCode(userCode) {
    return this.find(await redis.get(`userCode:${userCode}`));
  }

  async consume(id) {
    await redis.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
  }

  async destroy(id) {
    await redis.del(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    // The list holds keys without ioredis' prefix, which DEL adds back.
    const keys = await redis.lrange(grantKey, 0, -1);
    const multi = redis.multi();
    for (const key of keys) multi.del(key);
    multi.del(grantKey);
    await multi.exec();
  }
}

// -- the provider ---------------------------------------------------------------------------

function clients() {
  const secrets = JSON.parse(process.env.BENCH_CLIENTS || '{}');
  const backEnd = (clientId) => ({
    client_id: clientId,
    client_secret: secrets[clientId],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
  return [
    backEnd('bench-rs256'),
    backEnd('bench-es256'),
    {
      client_id: 'bench-web',
      client_secret: secrets['bench-web'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [CALLBACK],
    },
  ];
}

function serve() {
  const provider = new Provider(ISSUER, {
    adapter: RedisStorage,
    clients: clients(),
    jwks: JSON.parse(process.env.BENCH_JWKS),
    cookies: { keys: [process.env.BENCH_COOKIE_KEY] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => ({
          scope: 'api',
          audience: indicator,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: client.clientId === 'bench-es256' ? 'ES256' : 'RS256' } },
        }),
      },
    },
    interactions: { url: async (_ctx, interaction) => `/bench-interaction/${interaction.uid}` },
    // Like the provider: a refresh token for every client allowed the grant, rotated at each use.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      AuthorizationCode: 60,
      RefreshToken: 28800,
      Grant: 28800,
      Session: 28800,
      Interaction: 600,
      IdToken: 600,
    },
  });

  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/bench-interaction/')) {
      await next();
      return;
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params, session } = details;
    let result;
    if (prompt.name === 'login') {
      result = { login: { accountId: 'bench-account' } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const missing = prompt.details || {};
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    }
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: true,
    });
  });

  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 5000;
  server.listen(PORT, '127.0.0.1', () => {
    console.error(`oidc-provider worker ${process.pid} listening on ${ISSUER}`);
  });
}

// -- processes --------------------------------------------------------------------------------

function primary() {
  // Keys made once and handed to every worker: they must all sign with the same ones.
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const keys = [
    { ...rsa.export({ format: 'jwk' }), kid: 'bench-rsa', alg: 'RS256', use: 'sig' },
    { ...ec.export({ format: 'jwk' }), kid: 'bench-ec', alg: 'ES256', use: 'sig' },
  ];
  const cookieKey = crypto.randomBytes(32).toString('base64url');
  const env = { BENCH_JWKS: JSON.stringify({ keys }), BENCH_COOKIE_KEY: cookieKey };
  for (let i = 0; i < WORKERS; i += 1) cluster.fork(env);
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal || code})`);
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (cluster.isPrimary) primary();
else serve();
