#!/usr/bin/env ruby
# frozen_string_literal: true

# What crossing Fiddle costs: one wait that returns one event, one
# registration, and 10 000 registrations one by one vs in one batch.
#
#   ruby bindings/ruby/bench/bench.rb [ITERATIONS]     (default 100000)
#
# Use the release library (make build, or REPOLL_LIBRARY=.../release/...).
# Each figure is the best of 5 runs (7 for the 10 000 fds), in ns per operation.
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "repoll"
require "socket"

N = Integer(ARGV.first || 100_000)
FDS = 10_000

def best_ns_per_op(ops, runs: 5)
  runs.times.map do
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    yield
    (Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start).fdiv(ops)
  end.min
end

def report(what, ns)
  puts format("%-48s %10.0f ns", what, ns)
end

puts "repoll #{Repoll.version} (#{Repoll::LIBRARY_PATH}), ruby #{RUBY_VERSION}, #{N} iterations"
a, b = UNIXSocket.pair
Repoll::Poller.open do |p|
  p.register(a, :w, data: 1) # always writable: every wait returns one event
  report("Poller#wait(1) returning one event", best_ns_per_op(N) { N.times { p.wait(1) } })
  h = p.instance_variable_get(:@handle).use { |x| x } # raw call: the Fiddle floor
  buf = Fiddle::Pointer.malloc(16 * 1024, Fiddle::RUBY_FREE)
  report("  raw repoll_wait_ns through Fiddle (floor)",
         best_ns_per_op(N) { N.times { Repoll.lib_call(:repoll_wait_ns, h, buf, 1024, 0) } })
  report("Poller#modify", best_ns_per_op(N) { N.times { |i| p.modify(a, :w, data: i) } })
  p.unregister(a)
  report("Poller#register + #unregister (pair)",
         best_ns_per_op(N) { N.times { p.register(b, :r); p.unregister(b) } })
  report("Poller#add_timer + #cancel_timer (pair)",
         best_ns_per_op(N) { N.times { p.cancel_timer(p.add_timer(60)) } })
end
a.close
b.close

pairs = (FDS / 2).times.map { UNIXSocket.pair }
ios = pairs.flatten
Repoll::Poller.open do |p|
  adds = ios.map { |io| [:add, io, Repoll::IN] }
  dels = ios.map { |io| [:delete, io] }
  # Alternated, so that a change in the machine's load hits both alike.
  per_fd, batched = 7.times.map do
    [best_ns_per_op(FDS, runs: 1) { ios.each { |io| p.register(io, :r) } && ios.each { |io| p.unregister(io) } },
     best_ns_per_op(FDS, runs: 1) { p.batch(adds) && p.batch(dels) }]
  end.transpose.map(&:min)
  report("#{FDS} fds: register + unregister one by one, per fd", per_fd)
  report("#{FDS} fds: the same in two batches, per fd", batched)
  puts format("batch speed-up: %.2fx", per_fd / batched)
end
ios.each(&:close)
