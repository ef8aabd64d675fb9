param([string] $Module, [string] $Source, [string] $Destination, [switch] $Recurse)
# A side that fails must stop the A/B, not print a time: a copy that errors out looks fastest.
$ErrorActionPreference = 'Stop'
Import-Module $Module
if ($env:AB_TL) { $PSDefaultParameterValues['Copy-SpliceItem:ThrottleLimit'] = [int]$env:AB_TL }
$warm = "$Destination.warm"
if ($Recurse) { Copy-SpliceItem -LiteralPath $Source -Destination $warm -Recurse } else { Copy-SpliceItem -LiteralPath $Source -Destination $warm }
Remove-Item -LiteralPath $warm -Recurse -Force
& sync
$clock = [Diagnostics.Stopwatch]::StartNew()
if ($Recurse) { Copy-SpliceItem -LiteralPath $Source -Destination $Destination -Recurse } else { Copy-SpliceItem -LiteralPath $Source -Destination $Destination }
$clock.Stop()
'{0:F4}' -f $clock.Elapsed.TotalSeconds
