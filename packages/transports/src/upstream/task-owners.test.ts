import { describe, expect, it } from 'vitest'
import { TaskOwners } from './task-owners.js'

describe('TaskOwners', () => {
  it('gives a task’s statuses to the session that created it, and forgets it after a terminal one', () => {
    const owners = new TaskOwners<string>(10)
    owners.record('t1', 'a')
    expect(owners.ownerOf('t1', 'working')).toBe('a')
    expect(owners.ownerOf('t1', 'completed')).toBe('a')
    expect(owners.ownerOf('t1', 'working')).toBeUndefined()
  })

  it('forgets the oldest task past its bound', () => {
    const owners = new TaskOwners<string>(2)
    owners.record('t1', 'a')
    owners.record('t2', 'a')
    owners.record('t3', 'b')
    expect([owners.size, owners.ownerOf('t1', 'working'), owners.ownerOf('t3', 'working')]).toEqual(
      [2, undefined, 'b'],
    )
  })

  it('gives a reused id to its latest creator, and the earlier one’s end does not take it away', () => {
    const owners = new TaskOwners<string>(10)
    owners.record('t1', 'a')
    owners.record('t1', 'b')
    owners.drop('a')
    expect(owners.ownerOf('t1', 'working')).toBe('b')
  })

  it('forgets a session’s tasks when it ends', () => {
    const owners = new TaskOwners<string>(10)
    owners.record('t1', 'a')
    owners.record('t2', 'b')
    owners.drop('a')
    expect([owners.ownerOf('t1', 'working'), owners.ownerOf('t2', 'working')]).toEqual([
      undefined,
      'b',
    ])
  })
})
