<#
.SYNOPSIS
    The main job, shown: builds nothing itself (build.ps1 -Task Demo did), imports the built
    module, makes a real file and copies it with Copy-SpliceItem, then reports how.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$work = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-demo-$PID"
New-Item -ItemType Directory -Path $work | Out-Null
try {
    $source = Join-Path $work 'source.bin'
    $size = 256MB
    Write-Host "Making a $($size / 1MB) MiB file of random bytes in $work ..."
    $buffer = [byte[]]::new(1MB)
    $stream = [IO.File]::Create($source)
    try {
        for ($i = 0; $i -lt $size / 1MB; $i++) { [Random]::Shared.NextBytes($buffer); $stream.Write($buffer, 0, $buffer.Length) }
    } finally { $stream.Dispose() }

    Write-Host "`nWhat this kernel offers here:"
    Get-SpliceCapability -Path $work | Format-List | Out-Host

    Write-Host "Copy-SpliceItem -Path source.bin -Destination copy.bin -PassThru"
    $copy = Copy-SpliceItem -Path $source -Destination (Join-Path $work 'copy.bin') -PassThru
    $copy | Format-Table | Out-Host
    Write-Host "Again with -Method Splice:"
    Copy-SpliceItem -Path $source -Destination (Join-Path $work 'spliced.bin') -Method Splice -PassThru | Format-Table | Out-Host

    $same = (Get-FileHash $source).Hash -eq (Get-FileHash $copy.FullName).Hash
    Write-Host ("Copied {0:N0} bytes by {1} at {2:N0} MiB/s; content identical: {3}" -f $copy.BytesCopied, $copy.CopyMethod, ($copy.BytesPerSecond / 1MB), $same)
    if (-not $same) { exit 1 }
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
