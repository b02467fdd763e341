# frozen_string_literal: true

module Repoll
  # The pollers with a Poller#pwait in flight. Ruby cannot interrupt a C
  # call (Fiddle gives it no unblocking function), so at exit, where it kills
  # every thread and waits for them to end, a thread blocked in pwait would
  # keep the process alive forever: at_exit closes these pollers, which ends
  # their pwaits with Errno::EBADF. (Not in a forked child, whose copy lists
  # waits of its parent's threads.)
  class ExitGuard
    def initialize
      @lock = Mutex.new
      @pollers = Hash.new(0) # poller => pwaits in flight
      @pid = Process.pid
    end

    # Counts a pwait of +poller+ in for the block's duration.
    def guard(poller)
      @lock.synchronize { @pollers[poller] += 1 }
      begin
        yield
      ensure
        @lock.synchronize { @pollers.delete(poller) if (@pollers[poller] -= 1).zero? }
      end
    end

    def close_all
      @lock.synchronize { @pollers.keys }.each(&:close) if Process.pid == @pid
    end
  end
end
