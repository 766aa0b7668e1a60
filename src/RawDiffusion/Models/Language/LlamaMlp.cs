using RawDiffusion.Nn;

namespace RawDiffusion.Models.Language;

/// <summary>SwiGLU feed-forward (LlamaMLP): down_proj(silu(gate_proj(x)) · up_proj(x)), without biases.</summary>
public sealed class LlamaMlp : Layer
{
    public LlamaMlp(LlamaConfig config, Generator? generator = null)
    {
        GateProj = RegisterModule("gate_proj", LlamaInit.Linear(config.HiddenSize, config.IntermediateSize, config, generator));
        UpProj = RegisterModule("up_proj", LlamaInit.Linear(config.HiddenSize, config.IntermediateSize, config, generator));
        DownProj = RegisterModule("down_proj", LlamaInit.Linear(config.IntermediateSize, config.HiddenSize, config, generator));
    }

    public Linear GateProj { get; }
    public Linear UpProj { get; }
    public Linear DownProj { get; }

    public override Tensor Forward(Tensor input) => DownProj.Forward(GateProj.Forward(input).Silu() * UpProj.Forward(input));
}
