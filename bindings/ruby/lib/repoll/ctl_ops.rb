# frozen_string_literal: true

module Repoll
  # Poller#batch's ops as one C array of repoll_ctl_op_t (layout from
  # repoll.json), and each op's result read back from it. Packing is done
  # with one String#pack for the whole array: per-op Ruby work is what a
  # batch must keep below the cost of one Fiddle call per op.
  class CtlOps
    FIELDS = %w[op fd events result data].freeze
    KINDS = { add: CTL_ADD, modify: CTL_MOD, delete: CTL_DEL }.freeze

    def self.layout
      @layout ||= Layout.new(SPEC.types.fetch("repoll_ctl_op_t"))
    end

    attr_reader :count, :pointer

    # +ops+: [:add, io, interest, data], [:modify, io, interest, data] or
    # [:delete, io]; data defaults to the fd, interest to IN. Values are in
    # FIELDS order, put in the struct's field order by values_at.
    def initialize(ops)
      layout = self.class.layout
      order = layout.fields_in_order.map do |f|
        FIELDS.index(f) or raise LoadError, "repoll: repoll_ctl_op_t has a field #{f} unknown to this binding"
      end
      flat = []
      ops.each { |op| flat.concat(encode(op).values_at(*order)) }
      @count = Convert.int(ops.size, Convert::INT_RANGE, "number of ops")
      raw = flat.pack(layout.template(*layout.fields_in_order, whole: true) * @count)
      @pointer = Fiddle::Pointer.malloc([raw.bytesize, 1].max, Fiddle::RUBY_FREE)
      @pointer[0, raw.bytesize] = raw
    end

    # One entry per op: nil (success) or the error that op returned.
    def results
      layout = self.class.layout
      raw = @pointer[0, layout.size * @count]
      raw.unpack(layout.template("result", whole: true) * @count).map do |rc|
        rc.zero? ? nil : Repoll.error(-rc, "repoll_ctl_batch")
      end
    end

    private

    def encode(op)
      kind, io, interest, data = op
      code = KINDS.fetch(kind) { raise ArgumentError, "unknown op #{kind.inspect} (use :add, :modify or :delete)" }
      fd = Convert.fd(io)
      return [code, fd, 0, 0, 0] if code == CTL_DEL

      [code, fd, Convert.events(interest || IN), 0, Convert.data(data.nil? ? [fd, 0].max : data)]
    end
  end
end
