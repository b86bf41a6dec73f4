import Redis

/// The Lua that makes each change atomic with its counts and its event, and the one that reads
/// counts in one command.
enum EngagementScripts {
    /// Reads the counts of one or more videos as one command: one consistent snapshot (a script
    /// runs atomically, as MULTI/EXEC did) in a flat array of integers, so the reply needs no
    /// nested arrays and no numbers parsed from text. Declared `no-writes`: Redis refuses any write
    /// from it, and may run it on a replica.
    ///
    /// KEYS: counters, likes, viewers (``EngagementKeys``) of each video, in order.
    /// ARGV: live since (Unix ms, exclusive), user id whose like to report (empty: none).
    /// Returns `{views, likes, comments, live_viewers, seq, liked (0/1)}` per video, in order.
    static let read = RedisScript(
        """
        #!lua flags=no-writes
        local since, user = '(' .. ARGV[1], ARGV[2]
        local out, n = {}, 0
        for i = 1, #KEYS, 3 do
          local values = redis.call('HMGET', KEYS[i], 'views', 'comments', 'seq')
          out[n + 1] = tonumber(values[1] or 0) or 0
          out[n + 2] = redis.call('SCARD', KEYS[i + 1])
          out[n + 3] = tonumber(values[2] or 0) or 0
          out[n + 4] = redis.call('ZCOUNT', KEYS[i + 2], since, '+inf')
          out[n + 5] = tonumber(values[3] or 0) or 0
          out[n + 6] = 0
          if user ~= '' then out[n + 6] = redis.call('SISMEMBER', KEYS[i + 1], user) end
          n = n + 6
        end
        return out
        """)

    /// Applies one change, drops expired viewers, and when anything changed bumps `seq` and
    /// publishes the counts (``CountsEvent``) — all in one script, so nothing is half-applied and
    /// no event misses a change.
    ///
    /// KEYS: counters, likes, viewers (``EngagementKeys``).
    /// ARGV: op (views, comments, like, unlike, heartbeat), member (user or viewer id; empty for
    /// counters), now (Unix ms), presence window (ms), channel, video id.
    /// Returns `{views, likes, comments, live_viewers, changed (0/1), seq}`.
    static let write = RedisScript(
        """
        local op, member = ARGV[1], ARGV[2]
        local now, window = tonumber(ARGV[3]), tonumber(ARGV[4])
        if op ~= 'views' and op ~= 'comments' and op ~= 'like' and op ~= 'unlike' and op ~= 'heartbeat' then
          return redis.error_reply('ERR unknown engagement change')
        end
        local changed = 0
        local expired = redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
        if op == 'views' or op == 'comments' then
          redis.call('HINCRBY', KEYS[1], op, 1)
          changed = 1
        elseif op == 'like' then
          changed = redis.call('SADD', KEYS[2], member)
        elseif op == 'unlike' then
          changed = redis.call('SREM', KEYS[2], member)
        elseif op == 'heartbeat' then
          -- 1 for a new (or returning) viewer; a repeated heartbeat only moves the score forward.
          changed = redis.call('ZADD', KEYS[3], 'GT', now, member)
          redis.call('PEXPIRE', KEYS[3], 2 * window)
        end
        if expired > 0 then changed = 1 end
        local live = redis.call('ZCARD', KEYS[3])
        local values = redis.call('HMGET', KEYS[1], 'views', 'comments', 'seq')
        local views, comments, seq = tonumber(values[1] or 0), tonumber(values[2] or 0), tonumber(values[3] or 0)
        local likes = redis.call('SCARD', KEYS[2])
        if changed > 0 then
          seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
          redis.call('PUBLISH', ARGV[5], string.format(
            '{"type":"counts","video_id":"%s","event":"%s","seq":%d,"at":%d,' ..
            '"counts":{"views":%d,"likes":%d,"comments":%d,"live_viewers":%d}}',
            ARGV[6], op, seq, now, views, likes, comments, live))
        end
        return {views, likes, comments, live, changed, seq}
        """)
}
