// A relying party built on openid-client (v6), driven by tests/oidc/test_client_libraries.py.
//
// The test starts it with the relying party's settings in the environment:
//
//   RP_ISSUER         the provider's issuer (http on loopback: allowed explicitly below)
//   RP_CLIENT_ID      RP_CLIENT_SECRET (client_secret_basic)
//   RP_REDIRECT_URI   RP_SCOPE
//   RP_PAR            "1": push the authorization request first (RFC 9126); the browser is
//                     given only client_id and request_uri
//
// and talks to it over stdio, one JSON object per line:
//
//   stdout  {"authorization_url": "..."}      where the person's browser is to be sent
//   stdin   the callback URL                  where the provider redirected the browser
//   stdout  {"ok": true, ...} | {"ok": false, "error": {...}}
//
// Between the two, openid-client does everything a relying party does: discovery, PKCE, state
// and nonce, the code exchange with the ID token checked (signature against the provider's
// JWKS, iss, aud, nonce, exp), the UserInfo request and a refresh.

import * as client from 'openid-client'
import { createInterface } from 'node:readline'

function setting(name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(`${name} is not set`)
  }
  return value
}

function emit(message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

async function firstLine() {
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    lines.close()
    return line.trim()
  }
  throw new Error('stdin closed before the callback URL arrived')
}

async function main() {
  const clientSecret = setting('RP_CLIENT_SECRET')
  const config = await client.discovery(
    new URL(setting('RP_ISSUER')),
    setting('RP_CLIENT_ID'),
    clientSecret,
    client.ClientSecretBasic(clientSecret),
    {
      // Plain http is refused unless allowed: the test provider listens on loopback only.
      // Non-repudiation checks make openid-client verify the ID token's signature against
      // the provider's JWKS (by default it relies on the TLS channel of the token endpoint).
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    },
  )

  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const parameters = {
    redirect_uri: setting('RP_REDIRECT_URI'),
    scope: setting('RP_SCOPE'),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }
  const authorizationUrl =
    process.env.RP_PAR === '1'
      ? await client.buildAuthorizationUrlWithPAR(config, parameters)
      : client.buildAuthorizationUrl(config, parameters)
  emit({ authorization_url: authorizationUrl.href })

  const callbackUrl = new URL(await firstLine())
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  })
  const claims = tokens.claims()
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)

  emit({
    ok: true,
    id_token_claims: claims,
    userinfo,
    refresh: {
      new_refresh_token:
        typeof refreshed.refresh_token === 'string' &&
        refreshed.refresh_token !== tokens.refresh_token,
      new_access_token: refreshed.access_token !== tokens.access_token,
    },
  })
}

function describe(err) {
  return {
    name: err?.name,
    code: err?.code,
    message: err?.message,
    // An OAuth error response from the provider (ResponseBodyError).
    error: err?.error,
    error_description: err?.error_description,
    // openid-client wraps the check that failed (e.g. an unexpected "state") as the cause.
    cause: err?.cause instanceof Error ? describe(err.cause) : undefined,
  }
}

try {
  await main()
} catch (err) {
  emit({ ok: false, error: describe(err) })
  process.exitCode = 1
}
