# frozen_string_literal: true

module Repoll
  # Checks Ruby values before they reach C: Fiddle would silently wrap an
  # out-of-range Integer (2**64 becomes 0, -1 becomes 2**64-1).
  module Convert
    INT_RANGE = (-2**31..2**31 - 1).freeze
    U32_RANGE = (0..2**32 - 1).freeze
    U64_RANGE = (0..2**64 - 1).freeze
    I64_MAX = 2**63 - 1
    NS_PER_S = 1_000_000_000

    module_function

    # An Integer in `range`: TypeError for a non-Integer, RangeError outside.
    def int(value, range, what)
      raise TypeError, "#{what} must be an Integer, not #{value.class}" unless value.is_a?(Integer)
      raise RangeError, "#{what} #{value} is out of range #{range}" unless range.cover?(value)

      value
    end

    # The fd of an Integer, an IO (or anything with to_io) or anything with
    # fileno (a Socket, a File, a Repoll::Poller).
    def fd(obj)
      fd = if obj.is_a?(Integer) then obj
           elsif obj.respond_to?(:to_io) then obj.to_io.fileno
           elsif obj.respond_to?(:fileno) then obj.fileno
           else raise TypeError, "expected an Integer fd or an IO, not #{obj.class}"
           end
      int(fd, INT_RANGE, "fd")
    end

    # nio4r's interest symbols, or an Integer mask of Repoll::IN, OUT, ...
    def events(interest)
      case interest
      when :r then Repoll::IN
      when :w then Repoll::OUT
      when :rw then Repoll::IN | Repoll::OUT
      when Symbol then raise ArgumentError, "unknown interest #{interest.inspect} (use :r, :w, :rw or Repoll::IN | ...)"
      else int(interest, U32_RANGE, "events")
      end
    end

    def data(value)
      int(value, U64_RANGE, "data")
    end

    # Seconds (Integer, Float, Rational) as int64 nanoseconds, rounded UP,
    # clamped to 2**63-1; nil and negative values give -1 ("no limit").
    def ns(seconds, what)
      return -1 if seconds.nil?
      return seconds.negative? ? -1 : [seconds * NS_PER_S, I64_MAX].min if seconds.is_a?(Integer)
      raise TypeError, "#{what} must be a number of seconds, not #{seconds.class}" unless seconds.is_a?(Numeric)
      raise ArgumentError, "#{what} must not be NaN" if seconds.is_a?(Float) && seconds.nan?
      return -1 if seconds.negative?
      return I64_MAX if seconds.is_a?(Float) && seconds.infinite?

      [(seconds.to_r * NS_PER_S).ceil, I64_MAX].min # exact: a Float is a Rational
    end

    # A signal as Signal.trap takes it: 15, :TERM, "TERM", "SIGTERM".
    def signo(sig)
      return int(sig, INT_RANGE, "signal number") if sig.is_a?(Integer)

      name = sig.to_s.delete_prefix("SIG")
      Signal.list.fetch(name) { raise ArgumentError, "unknown signal #{sig.inspect}" }
    end
  end
end
