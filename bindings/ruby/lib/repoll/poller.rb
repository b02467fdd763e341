# frozen_string_literal: true

require "io/wait"
require_relative "layout"
require_relative "ctl_ops"
require_relative "exit_guard"
require_relative "trap_bridge"

module Repoll
  # An epoll instance with a waker, timers and signals; shaped like nio4r's
  # NIO::Selector. Every method may be called from several threads at once;
  # once closed, every method but close and closed? raises Errno::EBADF.
  class Poller
    PWAITING = ExitGuard.new
    at_exit { PWAITING.close_all }

    EVENT = Layout.new(SPEC.types.fetch("repoll_event_t"))
    EVENT_READ = EVENT.template("data", "events")
    private_constant :PWAITING, :EVENT, :EVENT_READ

    # Opens a poller; with a block, yields it and closes it when the block
    # ends (returning the block's value), as File.open does.
    def self.open(**options)
      poller = new(**options)
      return poller unless block_given?

      begin
        yield poller
      ensure
        poller.close
      end
    end

    # The most events one #wait returns.
    attr_reader :maxevents

    # +maxevents+: the most events one #wait returns (its buffer is
    # allocated once, here). +flags+: 0 or an OR of Repoll::CLOEXEC (the
    # default) and Repoll::RETRY_EINTR (which changes nothing here: #wait
    # never sleeps inside the library, and #pwait's mask lets signals in).
    def initialize(maxevents: 1024, flags: CLOEXEC)
      @maxevents = Convert.int(maxevents, 1..Convert::INT_RANGE.max, "maxevents")
      flags = Convert.int(flags, Convert::INT_RANGE, "flags")
      @handle = Handle.new(create(flags))
      ObjectSpace.define_finalizer(self, Handle.finalizer(@handle))
      # The epoll fd as an IO that never closes it: #wait blocks on it.
      @io = IO.for_fd(fileno, autoclose: false)
      @buffers = [new_buffer] # one per concurrent waiter; Array#pop is atomic
      @traps = TrapBridge.new(-> { wake_library unless closed? })
    end

    # Closes the poller and its fd. Idempotent; never blocks. A #wait blocked
    # in another thread raises Errno::EBADF promptly. Signals bridged with
    # #trap_signal get their previous handlers back.
    def close
      @traps.untrap_all
      @handle.close
    end

    def closed?
      @handle.closed?
    end

    def inspect
      closed? ? "#<Repoll::Poller closed>" : "#<Repoll::Poller fd=#{@io.fileno} maxevents=#{@maxevents}>"
    end

    # -- file descriptors --

    # Watches +io+ (an IO, a Socket, anything with to_io or fileno, or an
    # Integer fd) for +interest+: :r, :w, :rw, or an Integer mask of
    # Repoll::IN, OUT, PRI, RDHUP, ... with ET, ONESHOT, EXCLUSIVE. #wait
    # reports +data+ (an Integer in 0...2**64; default the fd).
    # Errno::EEXIST if already registered.
    def register(io, interest = IN, data: nil)
      ctl(:repoll_add, io, interest, data)
    end

    # Changes a registration's interest and data (default: the fd); re-arms
    # a ONESHOT one. Errno::ENOENT if not registered.
    def modify(io, interest, data: nil)
      ctl(:repoll_modify, io, interest, data)
    end

    # Stops watching +io+. Errno::ENOENT if not registered.
    def unregister(io)
      fd = Convert.fd(io)
      call(:repoll_delete, fd)
      nil
    end

    # -- waiting --

    # Waits for events and returns them as [data, events] pairs; [] when
    # +timeout+ passed first. With a block, yields each pair instead and
    # returns how many there were.
    #
    # +timeout+ is in seconds (Integer, Float or Rational): nil or negative
    # waits until something happens, 0 polls, anything else waits at least
    # that long (never less; rounded up to whole nanoseconds). The wait
    # blocks in IO#wait_readable on the epoll fd, so the GVL is released and
    # Thread#raise, Thread#kill, Timeout and Ctrl-C interrupt it.
    def wait(timeout = nil, &block)
      ns = Convert.ns(timeout, "timeout")
      deadline = ns.positive? ? now_ns + ns : nil
      events = @handle.use do |h|
        buffer = @buffers.pop || new_buffer
        begin
          collect(h, buffer, ns, deadline)
        ensure
          @buffers << buffer
        end
      end
      return events unless block

      events.each { |data, ev| yield data, ev }
      events.size
    end
    alias select wait

    # Waits as #wait, with the calling thread's signal mask set to exactly
    # +sigmask+ (signal numbers or names) for the duration of the wait,
    # atomically (epoll_pwait2). A signal the mask lets in runs its handler
    # and makes pwait return [] early (the point of the mask); so does one
    # already pending. Unlike #wait it blocks inside the C call (the GVL is
    # released, but Thread#raise waits until it returns).
    def pwait(timeout = nil, sigmask:)
      ns = Convert.ns(timeout, "timeout")
      set = Signals.sigset(sigmask)
      @handle.use do |h|
        buffer = @buffers.pop || new_buffer
        begin
          n = PWAITING.guard(self) { Repoll.lib_call(:repoll_pwait, h, buffer, @maxevents, ns, set) }
          raise Errno::EBADF, "repoll_pwait" if @handle.closed?
          next [] if n == -Errno::EINTR::Errno

          @traps.filter(decode(buffer, Repoll.check(n, "repoll_pwait")))
        ensure
          @buffers << buffer
        end
      end
    end

    # Makes a blocked #wait (or the next one) return a [0, WAKE] pair; wakes
    # coalesce. Callable from any thread and from a Signal.trap handler.
    def wake
      @traps.user_wake!
      wake_library
    end

    # -- timers --

    # Starts a timer due +first+ seconds from now, then every +interval+
    # seconds (0: once), reported as [data, TIMER]. Returns its id, an
    # Integer. Errno::EINVAL for a negative time.
    def add_timer(first, interval = 0, data: 0)
      first_ns = Convert.ns(first, "first")
      interval_ns = Convert.ns(interval, "interval")
      data = Convert.data(data)
      out = Fiddle::Pointer.malloc(8, Fiddle::RUBY_FREE)
      call(:repoll_timer_add, first_ns, interval_ns, data, out)
      out[0, 8].unpack1("Q")
    end

    # Cancels a timer. Errno::ENOENT for an unknown id or a one-shot timer
    # that already fired.
    def cancel_timer(id)
      call(:repoll_timer_cancel, Convert.int(id, Convert::U64_RANGE, "timer id"))
      nil
    end

    # -- signals --

    # Reports +signal+ (a number or a name such as :TERM) as [data, SIGNAL]
    # (data defaults to the signal number), through a signalfd. The signal
    # must be blocked in every thread first: Repoll.block_signals in the
    # main thread before any other starts. Warns when some thread does not
    # block it (that thread would get it instead). Errno::EEXIST if added.
    def add_signal(signal, data: nil)
      signo = Convert.signo(signal)
      data = Convert.data(data.nil? ? signo : data)
      call(:repoll_signal_add, signo, data)
      unless Repoll.blocked_everywhere?(signo)
        warn "repoll: SIG#{Signal.signame(signo)} is not blocked in every thread; " \
             "those threads will receive it instead of the poller (see Repoll.block_signals)", uplevel: 1
      end
      nil
    end

    # Stops reporting +signal+ (it stays blocked). Errno::ENOENT if not added.
    def remove_signal(signal)
      call(:repoll_signal_delete, Convert.signo(signal))
      nil
    end

    # Reports +signal+ as [data, SIGNAL] through Ruby's own signal handling
    # instead: installs a Signal.trap handler that queues it and wakes the
    # poller. Works whatever threads exist and masks are, and for
    # Process.kill(signal, Process.pid); the handler runs in the main thread,
    # so it waits while that thread is stuck in a C call. Returns the
    # previous handler, which #untrap_signal and #close put back.
    def trap_signal(signal, data: nil)
      signo = Convert.signo(signal)
      data = Convert.data(data.nil? ? signo : data)
      raise Errno::EBADF, "repoll: the poller is closed" if closed?

      @traps.trap(signo, data)
    end

    # Restores the handler #trap_signal replaced. Errno::ENOENT if +signal+
    # is not bridged.
    def untrap_signal(signal)
      @traps.untrap(Convert.signo(signal))
    end

    # -- nesting --

    # The epoll fd, to nest this poller in another loop: it is readable when
    # #wait would return events. Owned by the poller: do not close it.
    def fileno
      call(:repoll_fd)
    end

    # The epoll fd as an IO (for IO.select, another Poller). Owned by the
    # poller: do not close it.
    def to_io
      raise Errno::EBADF, "repoll: the poller is closed" if closed?

      @io
    end

    # -- many registrations at once --

    # Applies +ops+ in order, as one library call (repoll_ctl_batch): each op
    # is [:add, io, interest, data], [:modify, io, interest, data] or
    # [:delete, io] (data defaults to the fd). One failing op does not stop
    # the others. Returns one entry per op: nil when it succeeded, else the
    # SystemCallError it would have raised alone (not raised here).
    def batch(ops)
      return [] if ops.empty?

      array = CtlOps.new(ops)
      call(:repoll_ctl_batch, array.pointer, array.count)
      array.results
    end

    # Registers every IO of +ios+ for +interest+ with its fd as data, in one
    # library call. Raises the first failure (the others are applied anyway).
    def register_many(ios, interest = IN)
      events = Convert.events(interest)
      errors = batch(ios.map { |io| [:add, io, events] })
      first = errors.compact.first
      raise first if first

      nil
    end

    private

    # The new handle's address. Out of fds, it runs the garbage collector
    # once (which closes leaked pollers and files) and tries again, as
    # File.open does.
    def create(flags)
      out = Fiddle::Pointer.malloc(Fiddle::SIZEOF_VOIDP, Fiddle::RUBY_FREE)
      rc = Repoll.lib_call(:repoll_create, out, flags)
      if rc == -Errno::EMFILE::Errno || rc == -Errno::ENFILE::Errno
        GC.start
        rc = Repoll.lib_call(:repoll_create, out, flags)
      end
      Repoll.check(rc, "repoll_create")
      out.ptr.to_i
    end

    # A wake of the library's (not counted as one of #wake's); from a
    # Signal.trap handler it is made on another thread, just after.
    def wake_library
      call(:repoll_wake)
      nil
    rescue Handle::TrapContext
      @handle.defer { wake_library }
    end

    def ctl(function, io, interest, data)
      fd = Convert.fd(io)
      events = Convert.events(interest)
      data = Convert.data(data.nil? ? [fd, 0].max : data)
      call(function, fd, events, data)
      nil
    end

    # One library call on the live handle; raises its error, naming it.
    def call(function, *args)
      rc = @handle.use { |h| Repoll.lib_call(function, h, *args) }
      Repoll.check(rc, function)
    end

    def new_buffer
      Fiddle::Pointer.malloc(EVENT.size * @maxevents, Fiddle::RUBY_FREE)
    end

    def now_ns
      Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    end

    # The wait loop: take what is ready without blocking; if nothing is,
    # sleep in IO#wait_readable on the epoll fd (which becomes readable when
    # fds, the waker, timers or signals have something) and look again, until
    # the deadline. Empty-handed wake-ups (another thread took the events)
    # just loop, so the timeout is never cut short.
    def collect(handle, buffer, ns, deadline)
      loop do
        n = Repoll.lib_call(:repoll_wait_ns, handle, buffer, @maxevents, 0)
        raise Errno::EBADF, "repoll_wait_ns" if @handle.closed?

        n = 0 if n == -Errno::EINTR::Errno
        events = @traps.filter(decode(buffer, Repoll.check(n, "repoll_wait_ns")))
        return events unless events.empty?
        return events if ns.zero?

        remaining = deadline && deadline - now_ns
        return events if remaining && remaining <= 0

        @io.wait_readable(remaining && Rational(remaining, Convert::NS_PER_S))
      end
    end

    def decode(buffer, n)
      return [] if n.zero?

      raw = buffer[0, n * EVENT.size]
      Array.new(n) { |i| raw.unpack(EVENT_READ, offset: i * EVENT.size) }
    end
  end
end
