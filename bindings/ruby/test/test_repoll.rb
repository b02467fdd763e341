# frozen_string_literal: true

# The Ruby binding's tests: `ruby -Ilib test/test_repoll.rb` (test.sh runs it).
#
# Signals must be blocked before any thread exists (threads inherit the mask,
# and minitest starts its worker threads when the run begins), so that is
# done here, at load time.
require "repoll"
BLOCKED_AT_LOAD = %i[USR1 WINCH].freeze
Repoll.block_signals(*BLOCKED_AT_LOAD)

require "minitest/autorun"
require "socket"
require "json"
require "rbconfig"
require "timeout"

class TestRepoll < Minitest::Test
  def setup
    @poller = Repoll::Poller.new
    @a, @b = UNIXSocket.pair
  end

  def teardown
    @poller.close
    @a.close
    @b.close
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # A thread that runs the block; its exception is for the test to check.
  def spawn(&block)
    Thread.new(&block).tap { |t| t.report_on_exception = false }
  end

  # Returns once +thread+ is blocked (sleeping), or raises if it ended.
  def wait_until_blocked(thread)
    Thread.pass until thread.status == "sleep" || !thread.alive?
    raise "the thread ended early: #{thread.value.inspect}" unless thread.alive?
  end

  # Sends +sig+ to this process with kill(2) from a child: Process.kill on
  # our own pid would hand a signal Ruby traps to Ruby directly.
  def kill_from_child(sig)
    Process.wait(fork { Process.kill(sig, Process.ppid) && exit!(0) })
  end

  # -- the library and its description --

  def test_version_is_the_loaded_librarys_and_matches_the_description_major
    assert_match(/\A\d+\.\d+\.\d+\z/, Repoll.version)
    assert_equal Repoll::VERSION_MAJOR, Repoll.version.split(".").first.to_i
  end

  def test_every_constant_of_the_json_is_a_ruby_constant_with_its_value
    spec = JSON.parse(File.read(Repoll::SPEC.path))
    refute_empty spec["constants"]
    spec["constants"].each do |c|
      assert_equal c["value"], Repoll.const_get(c["name"].delete_prefix("REPOLL_")), c["name"]
    end
    assert_equal 2**31, Repoll::ET # never negative
  end

  def test_a_description_lacking_what_the_binding_needs_is_a_load_error_naming_it
    spec = JSON.parse(File.read(Repoll::SPEC.path))
    spec["functions"].reject! { |f| f["name"] == "repoll_wake" }
    spec["constants"].reject! { |c| c["name"] == "REPOLL_IN" }
    spec["types"].reject! { |t| t["name"] == "repoll_event_t" }
    error = assert_raises(LoadError) { Repoll::API.parse(JSON.generate(spec), "doctored.json") }
    assert_includes error.message, "function repoll_wake"
    assert_includes error.message, "constant REPOLL_IN"
    assert_includes error.message, "type repoll_event_t"
    assert_raises(LoadError) { Repoll::API.parse("{}", "empty.json") }
  end

  def test_struct_templates_follow_the_json_offsets
    struct = Repoll::API::Struct.new("t", 24, { "b" => ["uint32_t", 16], "a" => ["uint64_t", 4] })
    layout = Repoll::Layout.new(struct)
    raw = [2**64 - 1, 7].pack(layout.template(*layout.fields_in_order, whole: true))
    assert_equal 24, raw.bytesize
    assert_equal [2**64 - 1, 7], raw.unpack(layout.template("a", "b"))
    assert_equal 7, raw.unpack1("L", offset: 16)
  end

  def test_strerror_and_features
    refute_empty Repoll.strerror(-Errno::EEXIST::Errno)
    refute_empty Repoll.strerror(-Repoll::EPANIC)
    assert_kind_of Integer, Repoll.features
  end

  def test_the_library_is_found_through_repoll_library_or_a_clear_error
    out = IO.popen({ "REPOLL_LIBRARY" => "/nonexistent/librepoll.so" },
                   [RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", 'require "repoll"'],
                   err: %i[child out], &:read)
    refute $?.success?
    assert_includes out, "REPOLL_LIBRARY: /nonexistent/librepoll.so (no such file)"
    assert_includes out, "make build"
  end

  def test_a_missing_description_is_a_clear_error
    out = IO.popen({ "REPOLL_JSON" => "/nonexistent/repoll.json" },
                   [RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", 'require "repoll"'],
                   err: %i[child out], &:read)
    refute $?.success?
    assert_includes out, "REPOLL_JSON: /nonexistent/repoll.json (no such file)"
    assert_includes out, "make header"
  end

  # -- lifetime --

  def test_open_with_a_block_closes_the_poller_and_returns_the_block_value
    poller = nil
    result = Repoll::Poller.open { |p| (poller = p).fileno }
    assert_kind_of Integer, result
    assert poller.closed?
  end

  def test_close_is_idempotent_and_later_calls_raise_ebadf
    refute @poller.closed?
    @poller.close
    @poller.close
    assert @poller.closed?
    assert_raises(Errno::EBADF) { @poller.register(@a) }
    assert_raises(Errno::EBADF) { @poller.wait(0) }
    assert_raises(Errno::EBADF) { @poller.wake }
    assert_raises(Errno::EBADF) { @poller.to_io }
  end

  def test_bad_flags_are_einval
    error = assert_raises(Errno::EINVAL) { Repoll::Poller.new(flags: 0x7000_0000) }
    assert_includes error.message, "repoll_create"
    assert_raises(RangeError) { Repoll::Poller.new(maxevents: 0) }
  end

  def test_leaked_pollers_are_closed_by_their_finalizer
    # With 64 fds and two per poller, 500 pollers fit only if dropped ones
    # are closed by their finalizers (Poller.new runs the GC on EMFILE).
    script = <<~RUBY
      require "repoll"
      Process.setrlimit(:NOFILE, 64)
      500.times { Repoll::Poller.new }
      print "ok"
    RUBY
    out = IO.popen([RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", script], err: %i[child out], &:read)
    assert_equal "ok", out
  end

  # -- registrations --

  def test_register_modify_unregister_report_data_and_events
    @poller.register(@a, Repoll::IN, data: 1)
    @b.write("x")
    assert_equal [[1, Repoll::IN]], @poller.wait(1)
    @poller.modify(@a, :rw, data: 2)
    assert_equal [[2, Repoll::IN | Repoll::OUT]], @poller.wait(1)
    @poller.unregister(@a)
    assert_equal [], @poller.wait(0)
  end

  def test_edge_triggered_bit_2_pow_31_passes_as_unsigned
    @poller.register(@a, Repoll::OUT | Repoll::ET, data: 3)
    assert_equal [[3, Repoll::OUT]], @poller.wait(1)
    assert_equal [], @poller.wait(0) # reported once: the edge
  end

  def test_data_defaults_to_the_fd_and_an_integer_fd_works
    @poller.register(@a.fileno, :w)
    assert_equal [[@a.fileno, Repoll::OUT]], @poller.wait(1)
  end

  def test_errors_are_errno_exceptions_naming_the_function
    @poller.register(@a)
    e = assert_raises(Errno::EEXIST) { @poller.register(@a) }
    assert_includes e.message, "repoll_add"
    assert_kind_of SystemCallError, e
    assert_raises(Errno::ENOENT) { @poller.modify(@b, Repoll::IN) }
    assert_raises(Errno::ENOENT) { @poller.unregister(@b) }
    File.open(__FILE__) { |f| assert_raises(Errno::EPERM) { @poller.register(f) } }
    assert_raises(Errno::EINVAL) { @poller.register(@poller.fileno) }
    assert_raises(Errno::EINVAL) { @poller.register(@b, Repoll::EXCLUSIVE | Repoll::ONESHOT) }
    r, w = IO.pipe
    fd = r.fileno
    r.close
    w.close
    assert_raises(Errno::EBADF) { @poller.register(fd) }
  end

  def test_values_c_cannot_hold_are_refused_before_the_call
    assert_raises(RangeError) { @poller.register(@a, Repoll::IN, data: -1) }
    assert_raises(RangeError) { @poller.register(@a, Repoll::IN, data: 2**64) }
    assert_raises(RangeError) { @poller.register(@a, 2**32) }
    assert_raises(RangeError) { @poller.register(2**31) }
    assert_raises(TypeError) { @poller.register(@a, Repoll::IN, data: "1") }
    assert_raises(TypeError) { @poller.register("not an io") }
    assert_raises(ArgumentError) { @poller.register(@a, :read) }
    assert_raises(ArgumentError) { @poller.wait(Float::NAN) }
    assert_raises(TypeError) { @poller.wait("1") }
  end

  def test_data_above_2_pow_53_round_trips
    [2**53 + 1, 2**63, 2**64 - 1].each do |data|
      @poller.register(@a, :w, data: data)
      assert_equal [[data, Repoll::OUT]], @poller.wait(1)
      @poller.unregister(@a)
    end
    @poller.add_timer(0, data: 2**64 - 2)
    assert_equal [[2**64 - 2, Repoll::TIMER]], @poller.wait(1)
  end

  def test_wait_with_a_block_yields_each_pair_and_returns_the_count
    @poller.register(@a, :w, data: 5)
    seen = []
    assert_equal 1, @poller.select(1) { |data, events| seen << [data, events] }
    assert_equal [[5, Repoll::OUT]], seen
  end

  def test_maxevents_bounds_one_wait
    poller = Repoll::Poller.new(maxevents: 1)
    poller.register(@a, :w, data: 1)
    poller.register(@b, :w, data: 2)
    assert_equal 1, poller.wait(1).size
  ensure
    poller&.close
  end

  # -- timeouts and timers --

  def test_timeouts_are_never_early
    [0.001, 0.02, Rational(1, 50)].each do |timeout|
      start = now
      assert_equal [], @poller.wait(timeout)
      assert_operator now - start, :>=, timeout
    end
    assert_equal [], @poller.wait(0)
  end

  def test_one_shot_timer_fires_once_not_before_it_is_due
    start = now
    id = @poller.add_timer(0.02, data: 9)
    assert_kind_of Integer, id
    assert_includes 1...2**53, id # the contract: exact in a double
    assert_equal [[9, Repoll::TIMER]], @poller.wait(5)
    assert_operator now - start, :>=, 0.02
    assert_equal [], @poller.wait(0.03)
    assert_raises(Errno::ENOENT) { @poller.cancel_timer(id) }
  end

  def test_interval_timer_repeats_and_cancel_stops_it
    start = now
    id = @poller.add_timer(0.005, 0.005, data: 3)
    3.times { assert_equal [[3, Repoll::TIMER]], @poller.wait(5) }
    assert_operator now - start, :>=, 0.015
    @poller.cancel_timer(id)
    assert_equal [], @poller.wait(0.02)
    assert_raises(Errno::ENOENT) { @poller.cancel_timer(id) }
  end

  def test_cancelled_timer_never_fires_and_bad_times_are_refused
    id = @poller.add_timer(0.01, data: 1)
    @poller.cancel_timer(id)
    assert_equal [], @poller.wait(0.03)
    assert_raises(RangeError) { @poller.cancel_timer(-1) }
    assert_raises(Errno::ENOENT) { @poller.cancel_timer(2**64 - 1) }
  end

  # -- threads --

  def test_wake_from_another_thread_ends_a_blocked_wait
    waiter = spawn { @poller.wait }
    wait_until_blocked(waiter)
    @poller.wake
    assert_equal [[0, Repoll::WAKE]], waiter.value
  end

  def test_huge_timeouts_block_until_something_happens
    [Float::INFINITY, 1e30, 2**80, -1].each do |timeout|
      waiter = spawn { @poller.wait(timeout) }
      wait_until_blocked(waiter)
      @poller.wake
      assert_equal [[0, Repoll::WAKE]], waiter.value
    end
  end

  def test_wakes_coalesce
    3.times { @poller.wake }
    assert_equal [[0, Repoll::WAKE]], @poller.wait(0)
    assert_equal [], @poller.wait(0)
  end

  def test_a_blocked_wait_lets_other_threads_run
    waiter = spawn { @poller.wait(60) }
    wait_until_blocked(waiter)
    n = 0
    n += 1 while n < 2_000_000
    counted = waiter.alive? # still blocked while this thread counted
    @poller.wake
    assert counted, "the waiter returned before the counting thread finished: the GVL was held"
    assert_equal [[0, Repoll::WAKE]], waiter.value
  end

  def test_a_blocked_pwait_lets_other_threads_run
    waiter = spawn { @poller.pwait(60, sigmask: BLOCKED_AT_LOAD) }
    Thread.pass until waiter.status == "sleep" || waiter.stop? || !waiter.alive?
    n = 0
    n += 1 while n < 2_000_000
    counted = waiter.alive?
    @poller.wake
    assert counted, "pwait held the GVL"
    assert_equal [[0, Repoll::WAKE]], waiter.value
  end

  def test_thread_raise_interrupts_a_blocked_wait
    waiter = spawn { @poller.wait }
    wait_until_blocked(waiter)
    waiter.raise(IOError, "stop")
    assert_raises(IOError) { waiter.value }
    @poller.wake # the poller still works, and no call is left in flight
    assert_equal [[0, Repoll::WAKE]], @poller.wait(1)
  end

  def test_timeout_interrupts_a_blocked_wait
    watchdog = spawn { sleep 30; @poller.wake } # were it not interrupted: WAKE, no Timeout::Error
    assert_raises(Timeout::Error) { Timeout.timeout(0.05) { @poller.wait } }
  ensure
    watchdog&.kill
  end

  def test_ctrl_c_interrupts_a_blocked_wait
    script = <<~RUBY
      require "repoll"
      poller = Repoll::Poller.new
      begin
        puts "waiting"
        $stdout.flush
        poller.wait(30)
        puts "not interrupted"
      rescue Interrupt
        puts "interrupted"
      end
    RUBY
    IO.popen([RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", script], err: %i[child out]) do |child|
      assert_equal "waiting\n", child.gets
      sleep 0.05 until File.read("/proc/#{child.pid}/stat").split[2] == "S" # blocked
      Process.kill(:INT, child.pid)
      assert_equal "interrupted\n", child.gets
    end
  end

  def test_closing_during_a_wait_makes_it_raise_ebadf
    waiters = 2.times.map { spawn { @poller.wait } }
    waiters.each { |t| wait_until_blocked(t) }
    @poller.close
    waiters.each { |t| assert_raises(Errno::EBADF) { t.value } }
    assert @poller.closed?
  end

  def test_closing_during_a_pwait_makes_it_raise_ebadf
    waiter = spawn { @poller.pwait(nil, sigmask: BLOCKED_AT_LOAD) }
    Thread.pass until waiter.status == "sleep" || waiter.stop? || !waiter.alive?
    @poller.close
    assert_raises(Errno::EBADF) { waiter.value }
  end

  def test_close_races_with_waits_wakes_timers_and_finalizers
    1000.times do |i|
      poller = Repoll::Poller.new
      Repoll::Poller.new # leaked: its finalizer runs in whichever thread the GC picks
      waiters = 3.times.map do
        spawn do
          poller.wait(i.even? ? nil : 0.001)
        rescue Errno::EBADF
          :ebadf
        end
      end
      other = spawn do
        20.times { poller.add_timer(0) && poller.wake }
      rescue Errno::EBADF
        nil
      end
      poller.close
      waiters.each { |w| assert w.join(30), "a waiter hung after close (iteration #{i})" }
      other.join
    end
  end

  def test_a_thread_blocked_in_pwait_does_not_keep_the_process_alive_at_exit
    script = <<~RUBY
      require "repoll"
      poller = Repoll::Poller.new
      Thread.new { poller.pwait(nil, sigmask: []) }
      Thread.pass until Thread.list.last.status == "sleep"
    RUBY
    pid = Process.spawn(RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", script)
    waiter = spawn { Process.wait2(pid)[1] }
    exited = waiter.join(30) # a guard against hanging, not a time limit
    Process.kill(:KILL, pid) unless exited
    assert exited, "the process hung at exit"
    assert_predicate waiter.value, :success?
  end

  def test_calls_from_many_threads_at_once
    pairs = 8.times.map { UNIXSocket.pair }
    threads = pairs.each_with_index.map do |(a, _), i|
      Thread.new { 50.times { @poller.register(a, :w, data: i); @poller.unregister(a) } }
    end
    threads.each(&:join)
    assert_equal [], @poller.wait(0)
  ensure
    pairs&.flatten&.each(&:close)
  end

  # -- signals --

  def test_a_blocked_signal_comes_back_as_an_event
    skip "SIGUSR1 is not blocked in every thread" unless Repoll.blocked_everywhere?(:USR1)
    @poller.add_signal(:USR1, data: 2**60)
    kill_from_child(:USR1)
    assert_equal [[2**60, Repoll::SIGNAL]], @poller.wait(5)
    @poller.remove_signal(:USR1)
    assert_raises(Errno::ENOENT) { @poller.remove_signal(:USR1) }
    assert_raises(Errno::EINVAL) { @poller.add_signal(:KILL) }
    assert_raises(ArgumentError) { @poller.add_signal(:NOSUCH) }
  end

  def test_block_and_unblock_change_the_calling_threads_mask_only
    usr2 = Signal.list["USR2"]
    blocked_here = -> { Repoll::Signals.blocked_in(Thread.current.native_thread_id).include?(usr2) }
    refute blocked_here.call
    Repoll.block_signals(:USR2)
    assert blocked_here.call
    refute Repoll.blocked_everywhere?(:USR2) # minitest's threads were started before
    assert Repoll.blocked_everywhere?(:USR1)  # blocked at load, before any thread
  ensure
    Repoll.unblock_signals(:USR2)
    refute blocked_here.call
  end

  def test_add_signal_warns_when_a_thread_does_not_block_it
    refute Repoll.blocked_everywhere?(:USR2)
    _, err = capture_io { @poller.add_signal(:USR2) }
    assert_includes err, "SIGUSR2 is not blocked in every thread"
  end

  def test_a_trapped_signal_comes_back_as_an_event_without_a_wake
    previous = @poller.trap_signal(:USR2, data: 42)
    Process.kill(:USR2, Process.pid)
    events = []
    events.concat(@poller.wait(5)) while events.empty?
    assert_equal [[42, Repoll::SIGNAL]], events
    @poller.wake
    assert_equal [[0, Repoll::WAKE]], @poller.wait(1)
    @poller.untrap_signal(:USR2)
    assert_equal previous, Signal.trap(:USR2, previous)
  end

  def test_wake_and_close_work_from_a_trap_handler_other_calls_raise
    error = nil
    previous = Signal.trap(:USR2) do
      @poller.register(@a)
    rescue ThreadError => e
      error = e
    end
    Process.kill(:USR2, Process.pid) # Ruby runs the handler itself, at once
    assert_match(/only Poller#wake and #close/, error&.message)
    Signal.trap(:USR2) { @poller.wake }
    Process.kill(:USR2, Process.pid)
    assert_equal [[0, Repoll::WAKE]], @poller.wait(30)
    Signal.trap(:USR2) { @poller.close }
    Process.kill(:USR2, Process.pid)
    Thread.pass until @poller.closed? # closed on another thread, just after
  ensure
    Signal.trap(:USR2, previous)
  end

  def test_close_restores_the_handlers_it_trapped
    Signal.trap(:USR2, "IGNORE")
    @poller.trap_signal(:USR2)
    @poller.close
    assert_equal "IGNORE", Signal.trap(:USR2, "DEFAULT")
  end

  def test_pwait_lets_in_the_signals_its_mask_leaves_out
    ran = false
    previous = Signal.trap(:WINCH) { ran = true }
    kill_from_child(:WINCH) # stays pending: blocked since load time
    # No timeout: WINCH, let in by the mask, must end the wait at once
    # (EINTR, so []). Were it not, the watchdog's wake would end it instead.
    watchdog = spawn { sleep 30; @poller.wake }
    assert_equal [], @poller.pwait(nil, sigmask: [:USR1])
    Thread.pass until ran
    assert ran
  ensure
    watchdog&.kill
    Signal.trap(:WINCH, previous) if previous
  end

  # -- nesting --

  def test_the_poller_nests_through_its_fd
    @poller.wake
    assert_equal [[@poller], [], []], IO.select([@poller], nil, nil, 5)
    Repoll::Poller.open do |outer|
      outer.register(@poller, Repoll::IN, data: 77)
      assert_equal [[77, Repoll::IN]], outer.wait(1)
    end
    assert_equal [[0, Repoll::WAKE]], @poller.wait(0)
  end

  # -- the example --

  def test_the_echo_server_example_runs
    out = IO.popen([RbConfig.ruby, File.expand_path("../examples/echo_server.rb", __dir__), "--self-test"],
                   err: %i[child out], &:read)
    assert_equal "echo_server self-test: ok\n", out
  end

  def test_the_readme_example_runs_as_written
    readme = File.read(File.expand_path("../README.md", __dir__))
    code = readme[/^```ruby\n(.*?)^```$/m, 1]
    out = IO.popen([RbConfig.ruby, "-I#{File.expand_path("../lib", __dir__)}", "-e", code], err: %i[child out], &:read)
    assert_equal "socket 1: hello\n", out
  end

  # -- many registrations in one call --

  def test_batch_applies_every_op_and_reports_each_result
    results = @poller.batch([[:add, @a, :w, 2**64 - 1], [:add, @a, :w], [:modify, @a, :w, 5], [:delete, @b]])
    assert_nil results[0]
    assert_kind_of Errno::EEXIST, results[1]
    assert_nil results[2]
    assert_kind_of Errno::ENOENT, results[3]
    assert_equal [[5, Repoll::OUT]], @poller.wait(1)
    assert_equal [], @poller.batch([])
  end

  def test_register_many_registers_every_io_or_raises_the_first_error
    pairs = 100.times.map { UNIXSocket.pair }
    ios = pairs.map(&:first)
    @poller.register_many(ios, :w)
    assert_equal ios.map(&:fileno).sort, @poller.wait(1).map(&:first).sort
    assert_raises(Errno::EEXIST) { @poller.register_many(ios.first(1)) }
  ensure
    pairs&.flatten&.each(&:close)
  end
end
