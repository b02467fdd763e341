# frozen_string_literal: true

module Repoll
  # The lifetime of one C handle, shared by a Poller and its finalizer (which
  # must not hold the Poller itself). It counts the calls in flight: close
  # releases the handle at once when none is, else the last call to leave
  # does, so no call ever passes a freed handle to the library. The Mutex is
  # never held across a library call that can block.
  class Handle
    # Raised by a call made from a Signal.trap handler, where Ruby lets no
    # Mutex be locked; Poller#wake and #close defer themselves instead.
    class TrapContext < ThreadError; end

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
    # The local `address` is set in the locked step that counts the call in
    # (not returned from a helper, whose return is where Ruby delivers an
    # exception from another thread: Thread#raise, Timeout, Ctrl-C), so the
    # ensure counts out exactly the calls counted in. Thread.handle_interrupt
    # would cost as much as the call itself.
    def use
      address = nil
      begin
        begin
          @lock.lock
        rescue ThreadError
          raise TrapContext, "repoll: a Signal.trap handler may call only Poller#wake and #close"
        end
        begin
          raise Errno::EBADF, "repoll: the poller is closed" if @closed

          @inflight += 1
          address = @address
        ensure
          @lock.unlock
        end
        yield address
      ensure
        leave if address
      end
    end

    # Idempotent; never blocks. Calls still in flight see closed? and finish
    # (a waiting Poller#wait raises EBADF); a wake makes a blocked one return.
    # From a Signal.trap handler it is done on another thread, just after.
    def close
      begin
        @lock.lock
      rescue ThreadError
        return defer { close }
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

    # Runs the block on a new thread without waiting for it: what a
    # Signal.trap handler does instead of locking the Mutex, which the very
    # thread it interrupted may hold. Errno::EBADF (closed meanwhile) is moot.
    def defer
      Thread.new do
        yield
      rescue Errno::EBADF
        nil
      end.report_on_exception = false
      nil
    end

    # The finalizer of a Poller that was never closed.
    def self.finalizer(handle)
      proc { handle.finalize }
    end

    # Releases the handle of an unreachable Poller, closed or not (a count
    # left over by a call that an exception cut short in #leave's lock would
    # otherwise keep it forever). No call can be in flight (each would hold
    # the Poller) and no thread holds the lock, which is as well: Ruby runs
    # finalizers where a Mutex cannot be locked nor a Thread started.
    def finalize
      @closed = true
      address = take
      Repoll.lib_call(:repoll_close, address) if address
    end

    private

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
