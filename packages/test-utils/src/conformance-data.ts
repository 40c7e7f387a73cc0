import type { ElicitRequestFormParams } from '@modelcontextprotocol/sdk/types.js'

/**
 * Fixed payloads of the conformance fixture. Values follow the scenario texts of
 * `@modelcontextprotocol/conformance` 0.1.16 (server scenarios), so a proxy in front
 * of the fixture can be compared byte for byte with the fixture served directly.
 */

type FormSchema = ElicitRequestFormParams['requestedSchema']

/** 1×1 red PNG. */
export const TEST_IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='

/** Minimal WAV (RIFF header, 1 sample). The `tools-call-audio` scenario requires `audio/wav`. */
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA='

export const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema'

/**
 * SEP-1613 (`json-schema-2020-12`): `$schema`, `$defs` and `additionalProperties`
 * must survive every hop; a proxy that re-serialises tool schemas through a
 * validator library tends to strip them.
 */
export const JSON_SCHEMA_2020_12_INPUT_SCHEMA = {
  $schema: JSON_SCHEMA_2020_12,
  type: 'object',
  $defs: {
    address: {
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
  },
  additionalProperties: false,
} as const

/** `tools-call-elicitation`: the client answers `{ username, email }`. */
export const ELICITATION_SCHEMA: FormSchema = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "User's response" },
    email: { type: 'string', description: "User's email address" },
  },
  required: ['username', 'email'],
}

/** SEP-1034 (`elicitation-sep1034-defaults`): a default for every primitive type. */
export const ELICITATION_DEFAULTS_SCHEMA: FormSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'User name', default: 'John Doe' },
    age: { type: 'integer', description: 'User age', default: 30 },
    score: { type: 'number', description: 'User score', default: 95.5 },
    status: {
      type: 'string',
      description: 'User status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verification status', default: true },
  },
  required: [],
}

/** SEP-1330 (`elicitation-sep1330-enums`): the five enum shapes. */
export const ELICITATION_ENUMS_SCHEMA: FormSchema = {
  type: 'object',
  properties: {
    untitledSingle: {
      type: 'string',
      description: 'Select one option',
      enum: ['option1', 'option2', 'option3'],
    },
    titledSingle: {
      type: 'string',
      description: 'Select one option with titles',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Select one option (legacy)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Select multiple options',
      minItems: 1,
      maxItems: 3,
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Select multiple options with titles',
      minItems: 1,
      maxItems: 3,
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
  required: [],
}

export const WATCHED_RESOURCE_URI = 'test://watched-resource'
