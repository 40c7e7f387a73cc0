import { completable } from '@modelcontextprotocol/sdk/server/completable.js'
import { z } from 'zod'
import type { FixtureContext } from './conformance-context.js'
import { TEST_IMAGE_BASE64 } from './conformance-data.js'

const ARG1_SUGGESTIONS = ['paris', 'park', 'party']

export function registerConformancePrompts(ctx: FixtureContext): void {
  // Long on purpose: the conformance suite's prompts, one registration each, in one list.
  const { mcp } = ctx
  mcp.registerPrompt(
    'test_simple_prompt',
    { description: 'A simple prompt without arguments' },
    () => ({
      messages: [
        { role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } },
      ],
    }),
  )
  // completion-complete asks for ref/prompt test_prompt_with_arguments, argument arg1.
  mcp.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ARG1_SUGGESTIONS.filter((s) => s.startsWith(value ?? '')),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  )
  mcp.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds a resource',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        {
          role: 'user',
          content: { type: 'text', text: 'Please process the embedded resource above.' },
        },
      ],
    }),
  )
  mcp.registerPrompt(
    'test_prompt_with_image',
    { description: 'A prompt with image content' },
    () => ({
      messages: [
        {
          role: 'user',
          content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  )
}
