#!/usr/bin/env ruby
# frozen_string_literal: true

# A TCP echo server on 127.0.0.1 built on repoll (Ruby twin of
# examples_c/echo_server.c and bindings/python/examples/echo_server.py).
#
#   echo_server.rb [PORT]        serve until Ctrl-C or SIGTERM
#   echo_server.rb --demo        serve on a free port, drive it with 3 clients
#                                from a thread, print what happened
#   echo_server.rb --self-test   the demo, quietly (the test suite runs it)
#
# Level-triggered and never blocking: each connection is registered with a
# small Integer as data; bytes the peer is not ready to take are kept, and
# the connection waits for OUT instead of IN until they are gone. SIGINT and
# SIGTERM arrive as [signo, SIGNAL] events through Poller#trap_signal, so
# the loop stops between two events and closes everything on its way out.
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "repoll"
require "socket"

class EchoServer
  LISTENER = 2**64 - 1 # data for the listening socket

  attr_reader :port

  def initialize(port = 0, verbose: true)
    @listener = TCPServer.new("127.0.0.1", port)
    @port = @listener.addr[1]
    @verbose = verbose
    @poller = Repoll::Poller.new(maxevents: 64)
    @conns = {} # data => [socket, bytes not yet sent]
    @next_id = 0
  end

  # Serves until stop (from any thread) or SIGINT/SIGTERM.
  def serve
    @poller.register(@listener, :r, data: LISTENER)
    %i[INT TERM].each { |sig| @poller.trap_signal(sig) }
    until @stopping
      @poller.wait do |data, events|
        if data == LISTENER then accept
        elsif events & Repoll::SIGNAL != 0 then stop("SIG#{Signal.signame(data)}")
        elsif events & Repoll::WAKE != 0 then nil # stop was called: the loop says so
        else serve_conn(data, events)
        end
      end
    end
  ensure
    @conns.each_value { |sock, _| sock.close }
    @poller.close # puts the INT and TERM handlers back
    @listener.close
  end

  def stop(why = "stop")
    log("stopping (#{why})")
    @stopping = true
    @poller.wake
  end

  private

  def log(message)
    puts "server: #{message}" if @verbose
  end

  def accept
    loop do
      sock = @listener.accept_nonblock(exception: false)
      return if sock == :wait_readable

      id = (@next_id += 1)
      @conns[id] = [sock, +""]
      @poller.register(sock, :r, data: id)
      log("client #{id} connected")
    end
  end

  def serve_conn(id, events)
    sock, pending = @conns.fetch(id)
    if events & Repoll::IN != 0
      chunk = sock.read_nonblock(4096, exception: false)
      return drop(id, sock) if chunk.nil? # end of stream

      pending << chunk unless chunk == :wait_readable
    end
    flush(id, sock, pending) unless pending.empty?
  end

  def flush(id, sock, pending)
    sent = sock.write_nonblock(pending, exception: false)
    pending.slice!(0, sent) if sent.is_a?(Integer)
    # Wait for room (OUT) while bytes remain, for input (IN) once they are gone.
    @poller.modify(sock, pending.empty? ? :r : :w, data: id)
  rescue Errno::EPIPE, Errno::ECONNRESET
    drop(id, sock)
  end

  def drop(id, sock)
    @poller.unregister(sock)
    sock.close
    @conns.delete(id)
    log("client #{id} left")
  end
end

# Three clients, one after another, each sending a line and reading it back.
def demo(verbose:)
  server = EchoServer.new(0, verbose: verbose)
  thread = Thread.new { server.serve }
  replies = 3.times.map do |i|
    TCPSocket.open("127.0.0.1", server.port) do |s|
      s.write("hello #{i}\n")
      s.gets.tap { |line| puts "client #{i}: #{line}" if verbose }
    end
  end
  server.stop
  thread.join
  replies == 3.times.map { |i| "hello #{i}\n" }
end

case ARGV.first
when "--demo" then exit(demo(verbose: true) ? 0 : 1)
when "--self-test"
  ok = demo(verbose: false)
  puts "echo_server self-test: #{ok ? "ok" : "FAILED"}"
  exit(ok ? 0 : 1)
else
  server = EchoServer.new(Integer(ARGV.first || 7777))
  puts "echo server on 127.0.0.1:#{server.port}; Ctrl-C stops it"
  server.serve
end
