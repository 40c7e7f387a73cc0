// @mcpx/transformers: rewriting messages in flight (issue 13).
