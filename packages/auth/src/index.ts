export { type AccessOptions, access, type ScopeRules } from './access.js'
export { anyOf } from './any-of.js'
export { type ApiKey, type ApiKeyOptions, apiKey } from './api-key.js'
export { type AuthenticateOptions, authenticate } from './authenticate.js'
export type { Authenticator, BearerError, Credentials } from './authenticator.js'
export { type BearerOptions, type BearerToken, bearer } from './bearer.js'
export {
  type BearerChallenge,
  type InsufficientScopeOptions,
  insufficientScope,
  withResourceMetadata,
  wwwAuthenticate,
} from './challenge.js'
export {
  type ClientAuthMethod,
  type ClientCredentials,
  type ClientCredentialsOptions,
  clientCredentials,
} from './client-credentials.js'
export { custom, type Verify } from './custom.js'
export {
  type IntrospectionCacheOptions,
  type IntrospectionOptions,
  introspection,
} from './introspection.js'
export type { JwksOptions } from './jwks.js'
export { type JwtCacheOptions, type JwtOptions, jwt } from './jwt.js'
export type { JwtAlgorithm } from './keys.js'
export {
  type NodeRequestLike,
  type NodeResponseLike,
  type ProtectedResourceHandler,
  type ProtectedResourceHandlerOptions,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataOptions,
  protectedResourceHandler,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './metadata.js'
export { requireScopes } from './require-scopes.js'
export { grantsScope, missingScopes } from './scopes.js'
export type { Secret } from './secrets.js'
