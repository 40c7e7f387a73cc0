// @mcpx/transformers/redis: the response cache's Redis store (issue 13).
