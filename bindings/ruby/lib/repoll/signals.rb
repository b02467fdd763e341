# frozen_string_literal: true

require "rbconfig"

module Repoll
  # Signal masks, which Ruby itself cannot change: the C library's
  # pthread_sigmask, sigemptyset and sigaddset, called through Fiddle. A mask
  # applies to the calling thread and is inherited by the threads it creates.
  module Signals
    LIBC = Fiddle.dlopen(nil)
    # pthread_sigmask's `how`: libc's values, not repoll's, so not in
    # repoll.json. Linux numbers them from 0, except on Alpha, MIPS and SPARC.
    SIG_BLOCK = RbConfig::CONFIG["host_cpu"].match?(/\A(alpha|mips|sparc)/) ? 1 : 0
    SIG_UNBLOCK = SIG_BLOCK + 1
    # The C library's sigset_t, as repoll.json measured it.
    SIGSET_BYTES = SPEC.types.fetch("sigset_t").size

    def self.libc(name, args, ret = Fiddle::TYPE_INT)
      Fiddle::Function.new(LIBC[name], args, ret, name: name, need_gvl: true)
    end
    private_class_method :libc

    P, I = Fiddle::TYPE_VOIDP, Fiddle::TYPE_INT
    PTHREAD_SIGMASK = libc("pthread_sigmask", [I, P, P])
    SIGEMPTYSET = libc("sigemptyset", [P])
    SIGADDSET = libc("sigaddset", [P, I])
    private_constant :P, :I, :PTHREAD_SIGMASK, :SIGEMPTYSET, :SIGADDSET

    module_function

    # A sigset_t holding `signals` (numbers or names), for pthread_sigmask
    # and Poller#pwait.
    def sigset(signals)
      set = Fiddle::Pointer.malloc(SIGSET_BYTES, Fiddle::RUBY_FREE)
      SIGEMPTYSET.call(set)
      signals.each do |sig|
        signo = Convert.signo(sig)
        raise Errno::EINVAL, "sigaddset(#{sig.inspect})" if SIGADDSET.call(set, signo) != 0
      end
      set
    end

    def change(how, signals)
      rc = PTHREAD_SIGMASK.call(how, sigset(signals), nil)
      raise SystemCallError.new("pthread_sigmask", rc) if rc != 0

      nil
    end

    # The signal numbers blocked by thread `tid` of this process (Linux /proc).
    def blocked_in(tid)
      mask = File.read("/proc/self/task/#{tid}/status")[/^SigBlk:\s*(\h+)/, 1].to_i(16)
      (1..64).select { |n| mask[n - 1] == 1 }
    rescue Errno::ENOENT, Errno::ESRCH # the thread ended meanwhile
      nil
    end
  end

  class << self
    # Blocks `signals` (numbers or names such as :TERM) in the calling thread,
    # so that a Poller can receive them with #add_signal. Threads inherit the
    # mask of the thread that creates them: call this in the main thread
    # before any Thread.new, also before any thread that ended (Ruby keeps
    # the native threads of finished Threads, with their old masks, for
    # reuse). Repoll.blocked_everywhere? tells whether it worked.
    def block_signals(*signals)
      Signals.change(Signals::SIG_BLOCK, signals.flatten)
    end

    # Unblocks `signals` in the calling thread (a pending one is delivered).
    def unblock_signals(*signals)
      Signals.change(Signals::SIG_UNBLOCK, signals.flatten)
    end

    # Whether every thread of the process (Ruby's and native ones) blocks
    # `signal`, as #add_signal requires.
    def blocked_everywhere?(signal)
      signo = Convert.signo(signal)
      Dir.children("/proc/self/task").all? do |tid|
        blocked = Signals.blocked_in(tid)
        blocked.nil? || blocked.include?(signo)
      end
    end
  end
end
