# frozen_string_literal: true

module Repoll
  # Poller#trap_signal: signals caught by Ruby's own Signal.trap, reported by
  # the poller's waits as [data, SIGNAL] pairs. The handler queues the data
  # and wakes the poller; the wait that sees the wake adds the queued pairs
  # and drops the WAKE event unless Poller#wake was called too.
  class TrapBridge
    # +wake+: wakes the poller (from a Signal.trap handler).
    def initialize(wake)
      @wake = wake
      @previous = {} # signo => the handler trap replaced
      @queue = Thread::Queue.new
      @user_wake = false
    end

    # Installs the handler for +signo+; returns the one it replaces.
    def trap(signo, data)
      queue = @queue
      wake = @wake
      previous = Signal.trap(signo) do
        queue << data
        wake.call
      end
      @previous[signo] = previous unless @previous.key?(signo)
      previous
    end

    # Puts back the handler #trap replaced; Errno::ENOENT if none.
    def untrap(signo)
      unless @previous.key?(signo)
        raise Errno::ENOENT, "repoll: SIG#{Signal.signame(signo)} is not trapped by this poller"
      end

      Signal.trap(signo, @previous.delete(signo) || "DEFAULT")
      nil
    end

    def untrap_all
      @previous.keys.each { |signo| untrap(signo) }
    end

    # Poller#wake was called: the next WAKE event is the user's to see.
    def user_wake!
      @user_wake = true
    end

    # The events of one wait, with the queued signals added and a WAKE that
    # only the bridge caused taken out.
    def filter(events)
      return events if @previous.empty? && @queue.empty?

      events = events.reject { |_, ev| ev == WAKE } unless @user_wake
      @user_wake = false if events.any? { |_, ev| ev == WAKE }
      loop do
        events << [@queue.pop(true), SIGNAL]
      rescue ThreadError # the queue is empty
        break
      end
      events
    end
  end
end
