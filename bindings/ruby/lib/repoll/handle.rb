# frozen_string_literal: true

module Repoll
  # The lifetime of one C handle, shared by a Poller and its finalizer (which
  # must not hold the Poller itself). It counts the calls in flight: close
  # releases the handle at once when none is, else the last call to leave
  # does, so no call ever passes a freed handle to the library. The Mutex is
  # never held across a library call that can block.
  class Handle
    def initialize(address)
      @address = address
      @lock = Mutex.new
      @inflight = 0
      @closed = false
    end

    def closed?
      @closed
    end

    # Yields the live handle address for one call; Errno::EBADF once closed.
    # In a Signal.trap handler, where a Mutex cannot be locked, the call runs
    # on a short-lived thread and this one waits for its result.
    def use(&block)
      address = begin
        enter
      rescue ThreadError
        return Thread.new { use(&block) }.value
      end
      begin
        yield address
      ensure
        leave
      end
    end

    # Idempotent; never blocks. Calls still in flight see closed? and finish
    # (a waiting Poller#wait raises EBADF); a wake makes a blocked one return.
    def close
      begin
        @lock.lock
      rescue ThreadError # in a Signal.trap handler, as in #use
        return Thread.new { close }.value
      end
      begin
        return if @closed

        @closed = true
        release = take if @inflight.zero?
        Repoll.lib_call(:repoll_wake, @address) unless release
      ensure
        @lock.unlock
      end
      Repoll.check(Repoll.lib_call(:repoll_close, release), "repoll_close") if release
      nil
    end

    # The finalizer of a Poller that was never closed.
    def self.finalizer(handle)
      proc { handle.finalize }
    end

    # Releases the handle of an unreachable Poller. No call can be in flight
    # (each would hold the Poller) and no thread holds the lock, which is as
    # well: Ruby runs finalizers where a Mutex cannot be locked nor a Thread
    # started.
    def finalize
      return if @closed

      @closed = true
      Repoll.lib_call(:repoll_close, take)
    end

    private

    def enter
      @lock.synchronize do
        raise Errno::EBADF, "repoll: the poller is closed" if @closed

        @inflight += 1
        @address
      end
    end

    def leave
      release = @lock.synchronize do
        @inflight -= 1
        next unless @closed

        next take if @inflight.zero?

        # Another waiter may still be blocked: pass the wake on.
        Repoll.lib_call(:repoll_wake, @address)
        nil
      end
      Repoll.check(Repoll.lib_call(:repoll_close, release), "repoll_close") if release
    end

    def take
      address = @address
      @address = nil
      address
    end
  end
end
