// What the pinned MCP conformance suite runs and what this repo expects of it. Pure data:
// the judgement (judge.mjs) and the report (report.mjs) read it; nothing here runs anything.

export const SUITE_PACKAGE = '@modelcontextprotocol/conformance'
export const SUITE_VERSION = '0.1.16'
export const RUNNER_NODE_MAJOR = 22

/**
 * The server scenarios of SUITE_VERSION, by suite, as its `list --server` and `server --suite`
 * report them. The suite is pinned, so this list is too: a run that reports fewer, more or other
 * scenarios is a gate failure, not a smaller denominator. Update it with SUITE_VERSION.
 */
export const SUITE_SCENARIOS = {
  active: [
    'server-initialize',
    'logging-set-level',
    'ping',
    'completion-complete',
    'tools-list',
    'tools-call-simple-text',
    'tools-call-image',
    'tools-call-audio',
    'tools-call-embedded-resource',
    'tools-call-mixed-content',
    'tools-call-with-logging',
    'tools-call-error',
    'tools-call-with-progress',
    'tools-call-sampling',
    'tools-call-elicitation',
    'elicitation-sep1034-defaults',
    'server-sse-multiple-streams',
    'elicitation-sep1330-enums',
    'resources-list',
    'resources-read-text',
    'resources-read-binary',
    'resources-templates-read',
    'resources-subscribe',
    'resources-unsubscribe',
    'prompts-list',
    'prompts-get-simple',
    'prompts-get-with-args',
    'prompts-get-embedded-resource',
    'prompts-get-with-image',
    'dns-rebinding-protection',
  ],
  pending: ['json-schema-2020-12', 'server-sse-polling'],
}

/** @param {'active' | 'all' | 'pending'} suite */
export function scenariosOf(suite) {
  if (suite === 'all') return [...SUITE_SCENARIOS.active, ...SUITE_SCENARIOS.pending]
  return [...SUITE_SCENARIOS[suite]]
}

/**
 * Scenarios that `direct-http` may fail, each with its reason. Every other scenario must pass
 * on `direct-http`, and an entry that passes is reported as stale (both exit 1), so this map
 * stays honest. Gateway targets are judged against what `direct-http` actually passed.
 */
export const EXPECTED_FAILURES = {
  // Pending in 0.1.16, so only run with --suite all|pending. The scenario sends
  // `MCP-Protocol-Version: 2025-03-26` on its raw POST, and the SDK's server transport sends SSE
  // priming events and honours closeSSEStream only for protocol >= 2025-11-25 (SEP-1699), so
  // the two "SHOULD" checks end as WARNING whatever the server does.
  'server-sse-polling':
    'pending upstream; scenario declares protocol 2025-03-26, SDK primes SSE only for >= 2025-11-25',
}

/** What each scenario asks of a proxy in front of the fixture (for the report). */
export const SCENARIO_NOTES = {
  'server-initialize': 'initialize + initialized over Streamable HTTP',
  'logging-set-level': '`logging/setLevel` returns `{}`',
  ping: '`ping` returns `{}`',
  'completion-complete': '`completion/complete` for `ref/prompt` `test_prompt_with_arguments`',
  'tools-list': '`tools/list`; every tool has name, description, inputSchema',
  'tools-call-simple-text': '`test_simple_text` text content',
  'tools-call-image': '`test_image_content` image content',
  'tools-call-audio': '`test_audio_content` audio content, mimeType `audio/wav`',
  'tools-call-embedded-resource': '`test_embedded_resource` resource content',
  'tools-call-mixed-content': '`test_multiple_content_types` text + image + resource',
  'tools-call-with-logging':
    '`setLevel debug`, then 3 `notifications/message` during `test_tool_with_logging`',
  'tools-call-error': '`test_error_handling` result with `isError: true`',
  'tools-call-with-progress': '3 increasing `notifications/progress` for token `progress-test-1`',
  'tools-call-sampling': 'server → client `sampling/createMessage` during `test_sampling`',
  'tools-call-elicitation': 'server → client `elicitation/create` during `test_elicitation`',
  'elicitation-sep1034-defaults':
    '`elicitation/create` schema keeps `default` of every primitive (SEP-1034)',
  'elicitation-sep1330-enums': '`elicitation/create` schema keeps the 5 enum shapes (SEP-1330)',
  'server-sse-multiple-streams':
    '3 concurrent raw POSTs (`MCP-Protocol-Version: 2025-03-26`) on one session',
  'resources-list': '`resources/list`; every resource has uri and name',
  'resources-read-text': '`resources/read test://static-text`',
  'resources-read-binary': '`resources/read test://static-binary` (blob)',
  'resources-templates-read': '`resources/read test://template/123/data` (template substitution)',
  'resources-subscribe': '`resources/subscribe test://watched-resource` returns',
  'resources-unsubscribe': 'subscribe then `resources/unsubscribe` return',
  'prompts-list': '`prompts/list`; every prompt has name and description',
  'prompts-get-simple': '`prompts/get test_simple_prompt`',
  'prompts-get-with-args': '`prompts/get test_prompt_with_arguments` substitutes arg1, arg2',
  'prompts-get-embedded-resource': '`prompts/get test_prompt_with_embedded_resource`',
  'prompts-get-with-image': '`prompts/get test_prompt_with_image`',
  'dns-rebinding-protection':
    'initialize with `Host`/`Origin` evil.example.com → 4xx; loopback → 2xx',
  'json-schema-2020-12': '`tools/list` keeps `$schema`, `$defs`, `additionalProperties` (pending)',
  'server-sse-polling': 'SSE priming event, `retry`, resume with `Last-Event-ID` (pending)',
}

/** Observed behaviour of the 0.1.16 runner that matters to a proxy (for the report). */
export const PROXY_NOTES = [
  'The client is the SDK `Client` with `StreamableHTTPClientTransport` (SDK 1.x as resolved at install), protocol `2025-11-25`, capabilities `{ sampling: {}, elicitation: {} }` (no `roots`). Every scenario opens a fresh session; `close()` aborts its streams and never sends `DELETE`, so about 30 sessions per run stay open until the target reaps them.',
  'Every scenario opens the standalone GET SSE stream right after `notifications/initialized` (a 405 would be tolerated).',
  'Server-to-client requests: `tools-call-sampling` (`sampling/createMessage`), `tools-call-elicitation`, `elicitation-sep1034-defaults`, `elicitation-sep1330-enums` (`elicitation/create`). By default the fixture sends them on the POST SSE stream of the `tools/call` that caused them (`--fixture-args "--server-requests standalone"`: on the GET stream, as the upstream reference server does). The client answers with its own POST. The elicitation scenarios check the schema the client received, so `default`, `oneOf`/`anyOf` and `enumNames` must pass unchanged.',
  '`tools-call-with-logging`: `logging/setLevel debug`, then three `notifications/message` during the call (POST stream), counted 200 ms after the result. `tools-call-with-progress`: the SDK client replaces the scenario\'s `progressToken: "progress-test-1"` with its own numeric request id and drops progress for unknown tokens, so a proxy must hand back the token it was given (the client matches `Number(token)` to its request id); three non-decreasing values.',
  'No scenario exercises roots, `list_changed`, `notifications/resources/updated` or cancellation; `resources-subscribe`/`-unsubscribe` only check that the calls return. The fixture has extra tools for those: `test_roots`, `test_notify_list_changed`, `test_notify_resource_updated`.',
  '`server-sse-multiple-streams`: three concurrent raw POSTs of `tools/list` (ids 1000-1002) on one session with `MCP-Protocol-Version: 2025-03-26`; all must answer 200 and every SSE response must yield an event within 2 s.',
  "`dns-rebinding-protection`: raw `initialize` POSTs without a session, `Host` and `Origin` set to evil.example.com (must be 4xx) and to the target's own loopback host (must be 2xx). The target URL must be localhost, 127.0.0.1 or [::1].",
  "The runner has no per-scenario timeout in server mode (the SDK client's 60 s request timeout applies; the raw fetches have none), hence this script's `--timeout` per target.",
]
