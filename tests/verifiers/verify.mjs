// An independent verifier of a wirlearn credential, as a third party would write one: npm jose
// checks the VC-JWT with the key its `kid` URL serves, and Digital Bazaar's Bitstring Status
// List implementation decodes the status list the credential names (itself checked with jose).
//
//   node verify.mjs CREDENTIAL_FILE      → prints one JSON line, exit 0 when verified
//   node verify.mjs --decode ENCODED     → {"length": bits, "set": [indices set to 1]}
//
// Nothing of wirlearn's own code is used. The key must live under the issuer's origin (a
// credential cannot point at a key of the forger's choosing).
import {readFileSync} from 'node:fs';
import {decodeProtectedHeader, importJWK, jwtVerify} from 'jose';
import {decodeList} from '@digitalbazaar/vc-bitstring-status-list';

async function fetchText(url, accept) {
  const response = await fetch(url, {headers: {accept}});
  if(!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.text();
}

async function keyFor(token, issuerId) {
  const {kid, alg} = decodeProtectedHeader(token);
  if(alg !== 'RS256') {
    throw new Error(`unexpected alg ${alg}`);
  }
  if(typeof kid !== 'string' || new URL(kid).origin !== new URL(issuerId).origin) {
    throw new Error(`kid ${kid} is not a URL under the issuer's origin`);
  }
  const jwk = JSON.parse(await fetchText(kid, 'application/jwk+json'));
  if(jwk.kid !== kid) {
    throw new Error('the JWK served at the kid URL names another kid');
  }
  return {kid, key: await importJWK(jwk, 'RS256')};
}

function unverifiedPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

async function verifyCredential(token) {
  const claimed = unverifiedPayload(token);
  const issuerId = typeof claimed.issuer === 'string' ? claimed.issuer : claimed.issuer?.id;
  const {kid, key} = await keyFor(token, issuerId);
  const {payload} = await jwtVerify(token, key, {algorithms: ['RS256'], issuer: issuerId});
  if(!payload.type?.includes('OpenBadgeCredential') || payload.jti !== payload.id ||
    payload.sub !== payload.credentialSubject?.id) {
    throw new Error('registered claims do not match the credential');
  }
  const result = {verified: true, kid, id: payload.id, awardedDate: payload.awardedDate ?? null};
  const entry = payload.credentialStatus;
  if(!entry) {
    return {...result, revoked: null};
  }
  if(entry.type !== 'BitstringStatusListEntry' || entry.statusPurpose !== 'revocation') {
    throw new Error('unknown credentialStatus');
  }
  const listToken = await fetchText(entry.statusListCredential, 'application/vc+jwt');
  const {key: listKey} = await keyFor(listToken, issuerId);
  const {payload: list} = await jwtVerify(listToken, listKey, {algorithms: ['RS256'], issuer: issuerId});
  if(list.id !== entry.statusListCredential || !list.type?.includes('BitstringStatusListCredential') ||
    list.credentialSubject?.statusPurpose !== 'revocation') {
    throw new Error('the status list is not the one the credential names');
  }
  const decoded = await decodeList({encodedList: list.credentialSubject.encodedList});
  const index = Number.parseInt(entry.statusListIndex, 10);
  return {...result, index, listLength: decoded.length, revoked: decoded.getStatus(index)};
}

async function main(argv) {
  if(argv[0] === '--decode') {
    const decoded = await decodeList({encodedList: argv[1]});
    const set = [];
    for(let i = 0; i < decoded.length; i++) {
      if(decoded.getStatus(i)) {
        set.push(i);
      }
    }
    console.log(JSON.stringify({length: decoded.length, set}));
    return 0;
  }
  const token = readFileSync(argv[0], 'utf8').trim();
  try {
    console.log(JSON.stringify(await verifyCredential(token)));
    return 0;
  } catch(error) {
    console.log(JSON.stringify({verified: false, error: `${error.code ?? error.name}: ${error.message}`}));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
